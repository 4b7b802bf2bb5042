/**
 * The guardrails of one turn, wired to its events: every decision becomes a GuardrailDecision
 * event; reply text streams through the output policy; tool calls pass the tool-call policy and,
 * when asked, a human approval before they run, and their results and arguments are redacted
 * before they reach the model, the events or the conversation log. The policies themselves are
 * pure and live in ../guardrails/.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ApprovalOutcome, ApprovalRequestedSchema, ApprovalResolvedSchema, GuardrailDecisionSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import { approvalRequirement } from "../guardrails/approval-policy.js";
import { budgetExceededReason, TurnBudget, type BudgetStop, type UsageTotals } from "../guardrails/budgets.js";
import { checkInput } from "../guardrails/input-guardrails.js";
import { createOutputPolicy, outputDeniedReason, redactedMarker, type OutputPolicy } from "../guardrails/output-policy.js";
import { StreamRedactor } from "../guardrails/stream-redactor.js";
import { evaluateToolCall } from "../guardrails/tool-call-policy.js";
import { action, stage, type GuardrailVerdict } from "../guardrails/verdict.js";
import type { ToolResult } from "../tools/tool.js";
import type { ApprovalAnswer, ApprovalBroker } from "./approvals.js";

/** A guardrail stopped the turn: the decision to record, then TurnFailed with `turnReason`. */
export class GuardrailStop extends Error {
  constructor(
    readonly verdict: GuardrailVerdict,
    /** The TurnFailed reason: InputDenied, OutputDenied or BudgetExceeded. */
    readonly turnReason: string,
  ) {
    super(verdict.reason);
    this.name = "GuardrailStop";
  }
}

/** The stop for a budget reached. */
export function budgetStop(stop: BudgetStop): GuardrailStop {
  return new GuardrailStop({ stage: stage.BUDGET, action: action.DENY, rule: stop.rule, reason: stop.reason }, budgetExceededReason);
}

/** What the turn's guardrails need. */
export interface TurnGuardrailOptions {
  readonly sink: EventSink;
  readonly agent: string;
  readonly turn: number;
  readonly spec: AgentSpec;
  readonly workspace: string;
  /** Values of the secrets delivered to the session: always redacted. */
  readonly secretValues: readonly string[];
  readonly approvals: ApprovalBroker;
  /** What earlier turns of the session used. */
  readonly sessionUsage: UsageTotals;
}

/** One tool call as the gate sees it. */
export interface GatedCall {
  readonly callId: string;
  readonly name: string;
  readonly argumentsJson: string;
  /** Whether the offered tool's spec requires approval for every call. */
  readonly requiresApproval?: boolean;
}

const approvalOutcomes: Record<ApprovalAnswer["outcome"], ApprovalOutcome> = {
  approved: ApprovalOutcome.APPROVED,
  denied: ApprovalOutcome.DENIED,
  timed_out: ApprovalOutcome.TIMED_OUT,
  cancelled: ApprovalOutcome.CANCELLED,
};

/** The guardrails of one turn; see the file comment. */
export class TurnGuardrails {
  /** The output policy (redaction and deny patterns). */
  readonly output: OutputPolicy;
  /** The turn's budgets. */
  readonly budget: TurnBudget;
  private readonly reportedText = new Set<string>();

  constructor(private readonly options: TurnGuardrailOptions) {
    this.output = createOutputPolicy(options.spec.guardrails?.output, options.secretValues);
    this.budget = new TurnBudget(options.spec.guardrails?.budgets, options.sessionUsage);
  }

  /** Records one decision as a GuardrailDecision event. */
  async record(verdict: GuardrailVerdict): Promise<void> {
    const { sink, agent, turn } = this.options;
    await sink.emit({
      agent,
      turn,
      payload: {
        case: "guardrailDecision",
        value: create(GuardrailDecisionSchema, {
          stage: verdict.stage,
          action: verdict.action,
          rule: verdict.rule.slice(0, 256),
          reason: verdict.reason.slice(0, 4096),
          toolCallId: verdict.toolCallId ?? "",
        }),
      },
    });
  }

  /** Throws a GuardrailStop when the input guardrails refuse the user's message. */
  checkInput(text: string): void {
    const refusal = checkInput(this.options.spec.guardrails?.input, text);
    if (refusal) throw new GuardrailStop(refusal, "InputDenied");
  }

  /** A filter for one model call's reply text. */
  textStream(): StreamRedactor {
    return new StreamRedactor(this.output);
  }

  /** Records the redactions a stream step made (once per rule per turn); throws a GuardrailStop for a deny match. */
  async streamed(step: { readonly redactions: ReadonlyMap<string, string>; readonly denied?: { readonly rule: string } }): Promise<void> {
    if (step.denied) {
      throw new GuardrailStop({ stage: stage.OUTPUT, action: action.DENY, rule: step.denied.rule, reason: "the reply matches an output deny pattern; it is withheld" }, outputDeniedReason);
    }
    for (const [rule, reason] of step.redactions) {
      if (this.reportedText.has(rule)) continue;
      this.reportedText.add(rule);
      await this.record({ stage: stage.OUTPUT, action: action.REDACT, rule, reason: `redacted from the reply: ${reason}` });
    }
  }

  /** `text` with the output policy applied, recording each redaction for tool call `callId` under `what`. */
  async redactFor(callId: string, what: string, text: string): Promise<string> {
    const redaction = this.output.redact(text);
    for (const [rule, reason] of redaction.rules) {
      await this.record({ stage: stage.OUTPUT, action: action.REDACT, rule, reason: `redacted from the ${what}: ${reason}`, toolCallId: callId });
    }
    return redaction.text;
  }

  /** Text safe to emit without recording decisions (failure messages): the output policy's redaction only. */
  scrub(text: string): string {
    return this.output.redact(text).text;
  }

  /**
   * Runs before tool call `call` with parsed `args`: the tool-call policy, then approval when
   * asked. Returns the result to give instead of running the tool (denied, not approved,
   * cancelled), or undefined to run it.
   */
  async beforeTool(call: GatedCall, args: Readonly<Record<string, unknown>>, signal: AbortSignal): Promise<ToolResult | undefined> {
    const { spec, workspace } = this.options;
    const judgement = await evaluateToolCall(spec.guardrails?.toolCall, call.name, args, workspace);
    if (judgement) {
      await this.record({
        stage: stage.TOOL_CALL,
        action: judgement.allowed ? action.ALLOW : action.DENY,
        rule: judgement.rule,
        reason: judgement.reason,
        toolCallId: call.callId,
      });
      if (!judgement.allowed) {
        return { output: `denied by the agent's guardrails (${judgement.rule}): ${judgement.reason}; this call did not run`, status: "refused", truncated: false };
      }
    }
    const requirement = approvalRequirement(spec, call.name, args, call.requiresApproval);
    if (!requirement) return undefined;
    const answer = await this.awaitApproval(call, requirement, signal);
    switch (answer.outcome) {
      case "approved":
        return undefined;
      case "denied":
        return { output: `a person denied this call${answer.reason ? ` (${answer.reason})` : ""}; it did not run`, status: "refused", truncated: false };
      case "timed_out":
        return { output: `nobody approved this call in time (${answer.reason}); it did not run`, status: "refused", truncated: false };
      case "cancelled":
        return { output: "the turn stopped while this call waited for approval; it did not run", status: "cancelled", truncated: false };
    }
  }

  private async awaitApproval(call: GatedCall, requirement: { rule: string; reason: string; timeoutMs: number }, signal: AbortSignal): Promise<ApprovalAnswer> {
    const { sink, agent, turn } = this.options;
    await this.record({ stage: stage.TOOL_CALL, action: action.REQUIRE_APPROVAL, rule: requirement.rule, reason: requirement.reason, toolCallId: call.callId });
    const shown = this.scrub(call.argumentsJson);
    // Registered before the request is written, so a decision cannot arrive before anyone waits for it.
    const answer = this.options.approvals.wait(call.callId, requirement.timeoutMs, signal);
    await sink.emit({
      agent,
      turn,
      payload: {
        case: "approvalRequested",
        value: create(ApprovalRequestedSchema, {
          toolCallId: call.callId,
          tool: call.name,
          argumentsJson: Buffer.byteLength(shown) > 262_144 ? redactedMarker : shown,
          reason: requirement.reason,
          expiresAt: timestampFromMs(Date.now() + requirement.timeoutMs),
        }),
      },
    });
    const resolved = await answer;
    await sink.emit({
      agent,
      turn,
      payload: {
        case: "approvalResolved",
        value: create(ApprovalResolvedSchema, {
          toolCallId: call.callId,
          outcome: approvalOutcomes[resolved.outcome],
          ...("decidedBy" in resolved ? { decidedBy: resolved.decidedBy } : {}),
          reason: this.scrub(resolved.reason).slice(0, 4096),
        }),
      },
    });
    return resolved;
  }

  /** A tool result as given to the model and recorded: redacted, or withheld (GuardrailStop) when a deny pattern matches. */
  async afterTool(call: GatedCall, output: string): Promise<{ output: string; stop?: GuardrailStop }> {
    const denied = this.output.denied(output);
    if (denied) {
      const verdict = { stage: stage.OUTPUT, action: action.DENY, rule: denied.rule, reason: "the tool result matches an output deny pattern; it is withheld", toolCallId: call.callId };
      return { output: `the result was withheld by the agent's guardrails (${denied.rule})`, stop: new GuardrailStop(verdict, outputDeniedReason) };
    }
    return { output: await this.redactFor(call.callId, "tool result", output) };
  }
}
