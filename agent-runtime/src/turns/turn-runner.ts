/**
 * One turn: route the user message to an agent, send TurnStarted, call the agent's model and
 * stream its reply as TextDelta events, and close the turn with exactly one TurnCompleted,
 * TurnFailed or TurnCancelled. The start and the end are recorded in the conversation log under
 * the daemon seq of their events, before the events are written, so a restart can tell what was
 * sent. The agent's tools are offered to the model; its tool calls run in the workspace (see
 * tool-calls.ts) and their results go back to the model until it stops, within the agent's
 * budgets and a bound on repairs of malformed calls. The agent's guardrails (turn-guardrails.ts)
 * check the message first, filter the reply while it streams, and gate every tool call. A
 * successful handoff call passes the rest of the turn to the receiving agent (its instructions,
 * model, tools and guardrails; later events carry its name).
 */
import { dirname } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  HandoffSchema,
  LogLevel,
  LogSchema,
  ModelUsageSchema,
  SessionEventSchema,
  TextDeltaSchema,
  TurnStartedSchema,
  UsageSchema,
  type Usage,
} from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { Agent, AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import { describeError, ModelError, TurnCancelledError, UnsupportedError, VolumeFullError } from "../errors.js";
import { recordedSessionUsage } from "../guardrails/budgets.js";
import type { Logger } from "../logger.js";
import type { ModelFactory } from "../models/create-model.js";
import type { Model, ModelInputItem, ModelUsageReport } from "../models/model.js";
import { PatternError } from "../models/re2-pattern.js";
import type { ConversationLog, UserEntry } from "../state/conversation-log.js";
import { describeFullVolume, isVolumeFull } from "../state/volume-reserve.js";
import { handoffInput, handoffRequest, maxHandoffsPerTurn } from "../tools/handoff.js";
import type { McpReport } from "../tools/mcp/mcp-servers.js";
import type { SessionTools } from "../tools/session-tools.js";
import { ApprovalBroker } from "./approvals.js";
import { closingEvent, splitText, type TurnEnd } from "./turn-end.js";
import { isRoute, routeMessage } from "./routing.js";
import { inModelSpan, inSpan } from "../telemetry/spans.js";
import { agentTools, runToolCall, type AgentTools, type ModelToolCall } from "./tool-calls.js";
import { budgetStop, GuardrailStop, TurnGuardrails } from "./turn-guardrails.js";

/** Tool calls per turn that may miss (unknown tool, malformed arguments) before the turn fails: the repairs a model gets. */
export const maxBadToolCalls = 3;

/** The TurnFailed reason of a turn the daemon could not record because the session volume is full. */
export const volumeFullReason = "VolumeFull";

/** What the turn runner needs. */
export interface TurnDependencies {
  readonly sink: EventSink;
  readonly conversation: ConversationLog;
  readonly models: ModelFactory;
  readonly log: Logger;
  /** The session's workspace, where tools run; default the directory that holds the log's `.raworc/`. */
  readonly workspace?: string;
  /** The session's knowledge indexes and MCP servers, kept across turns. */
  readonly sessionTools: SessionTools;
  /** The secrets delivered to the session (held in memory): env values for tools, and always redacted from output. */
  readonly secrets?: SessionSecrets;
  /** Where pending approvals wait for their ApprovalDecision; without one an approval can only time out. */
  readonly approvals?: ApprovalBroker;
}

/** The secrets of the latest Welcome. */
export interface SessionSecrets {
  /** The value of key `key` of secret `name`, if delivered. */
  value(name: string, key: string): string | undefined;
  /** Every delivered value. */
  values(): string[];
}

/** One turn to run. */
export interface TurnRequest {
  readonly user: UserEntry;
  /** The session's agents, in order, from the latest Welcome. */
  readonly agents: readonly Agent[];
  /** The conversation before this turn. */
  readonly history: readonly ModelInputItem[];
  /** The agent of the previous turn, for routing by continuation. */
  readonly previousAgent: string | undefined;
  /** Aborted with a TurnCancelledError to cancel the turn, or a VolumeFullError to fail it for lack of space. */
  readonly signal: AbortSignal;
}

/** Adds a call's usage (priced by the model factory when the spec has pricing) to a running total. */
function addUsage(total: Usage, report: ModelUsageReport): void {
  total.inputTokens += BigInt(report.inputTokens);
  total.outputTokens += BigInt(report.outputTokens);
  total.cachedInputTokens += BigInt(report.cachedInputTokens);
  total.costUsd += report.costUsd ?? 0;
}

/** The agent acting in the turn, with its guardrails. */
interface ActingAgent {
  readonly spec: AgentSpec;
  readonly model: Model;
  readonly tools: AgentTools;
  readonly guard: TurnGuardrails;
}

const logLevels = { info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR } as const;

/** Runs one turn to its end and returns how it ended; only a failure to write events or the log rejects. */
export async function runTurn(request: TurnRequest, dependencies: TurnDependencies): Promise<TurnEnd> {
  const { sink, conversation, log } = dependencies;
  const { user, signal } = request;
  const turn = user.turn;
  const startedAt = Date.now();
  const routed = routeMessage(request.agents, user, request.previousAgent);
  let agentName = isRoute(routed) ? routed.name : "";
  await sink.emit(
    {
      agent: agentName,
      turn,
      payload: {
        case: "turnStarted",
        value: create(TurnStartedSchema, {
          messageId: user.messageId,
          ...(isRoute(routed) ? { route: routed.route, matchedPattern: routed.matchedPattern } : {}),
        }),
      },
    },
    (seq) => conversation.append({ kind: "started", turn, agent: agentName, seq: seq.toString(), at: new Date().toISOString() }),
  );
  const usage = create(UsageSchema);
  const used = () => ({ tokens: usage.inputTokens + usage.outputTokens, costUsd: usage.costUsd });
  // Budgets stop the turn through this signal too (wall time), without being a cancel.
  const budgetController = new AbortController();
  const turnSignal = AbortSignal.any([signal, budgetController.signal]);
  let durationTimer: NodeJS.Timeout | undefined;
  let guard: TurnGuardrails | undefined;
  let text = "";
  let modelCalls = 0;
  let toolCalls = 0;
  let badToolCalls = 0;
  let handoffs = 0;
  const usedCallIds = new Set<string>();
  let end: TurnEnd;
  const workspace = dependencies.workspace ?? dirname(dirname(conversation.file));
  const secrets = dependencies.secrets;
  const approvals = dependencies.approvals ?? new ApprovalBroker();
  const sessionUsage = recordedSessionUsage(conversation.entries);
  const report: McpReport = async (level, source, message) => {
    log[level]({ turn, agent: agentName, source }, message);
    await sink.emit({ agent: agentName, turn, payload: { case: "log", value: create(LogSchema, { level: logLevels[level], source, message: message.slice(0, 4096) }) } });
  };
  const act = async (agent: Agent, name: string): Promise<ActingAgent> => {
    const spec = agent.spec;
    if (!spec?.model) throw new UnsupportedError(`agent "${name}" has no model`);
    const actingGuard = new TurnGuardrails({ sink, agent: name, turn, spec, workspace, secretValues: secrets?.values() ?? [], approvals, sessionUsage });
    guard = actingGuard;
    const tools = await agentTools(spec, { agent: name, agents: request.agents, sessionTools: dependencies.sessionTools, report, secret: (s, key) => secrets?.value(s, key) });
    if (tools.unavailable.length > 0) log.warn({ turn, agent: name, tools: tools.unavailable }, "the agent names tools this daemon cannot run; they are not offered");
    return { spec, model: dependencies.models(spec.model), tools, guard: actingGuard };
  };
  try {
    if (!isRoute(routed)) throw new UnsupportedError(routed.message);
    let { spec, model, tools, guard: turnGuard } = await act(routed.agent, agentName);
    // The wall-time budget is the routed agent's: a handoff does not restart the turn's clock.
    const maxDurationMs = turnGuard.budget.maxDurationMs;
    if (maxDurationMs !== undefined) {
      const budget = turnGuard.budget;
      durationTimer = setTimeout(() => budgetController.abort(budgetStop(budget.durationStop())), maxDurationMs);
    }
    turnGuard.checkInput(user.text);
    let input: ModelInputItem[] = [...request.history, { type: "user", text: user.text }];
    let stopReason = "end_turn";
    modelLoop: for (;;) {
      const callStop = turnGuard.budget.beforeModelCall(modelCalls, used());
      if (callStop) throw budgetStop(callStop);
      modelCalls++;
      const calls: ModelToolCall[] = [];
      let callText = "";
      let callUsage: Usage | undefined;
      const reply = turnGuard.textStream();
      const speaker = agentName;
      const emitText = async (step: ReturnType<typeof reply.push>) => {
        await turnGuard.streamed(step);
        for (const piece of splitText(step.text)) {
          await sink.emit({ agent: speaker, turn, payload: { case: "textDelta", value: create(TextDeltaSchema, { text: piece }) } });
          callText += piece;
          text += piece;
        }
      };
      const modelRequest = { instructions: spec.instructions, input, tools: tools.definitions, turn, signal: turnSignal };
      for await (const event of inModelSpan(model.name, () => model.stream(modelRequest))) {
        if (event.type === "text_delta") {
          await emitText(reply.push(event.text));
        } else if (event.type === "usage") {
          callUsage ??= create(UsageSchema);
          addUsage(callUsage, event.usage);
          addUsage(usage, event.usage);
        } else if (event.type === "tool_call") {
          // After a handoff the receiver's call ids may repeat the giver's (scripted ids do); they must stay unique in the turn.
          let callId = event.callId;
          for (let n = 2; usedCallIds.has(callId); n++) callId = `${event.callId}-${n}`;
          usedCallIds.add(callId);
          calls.push({ callId, name: event.name, argumentsJson: event.argumentsJson });
        } else {
          stopReason = event.stopReason;
        }
        turnSignal.throwIfAborted();
      }
      await emitText(reply.flush());
      if (callUsage) {
        await sink.emit({ agent: agentName, turn, payload: { case: "usage", value: create(ModelUsageSchema, { model: model.name, usage: callUsage }) } });
      }
      const usageStop = turnGuard.budget.afterUsage(used());
      if (usageStop) throw budgetStop(usageStop);
      if (callText !== "") input.push({ type: "assistant", text: callText });
      if (calls.length === 0) {
        end = { outcome: "completed", stopReason };
        break;
      }
      for (const call of calls) {
        const toolStop = conversation.toolResult(turn, call.callId) ? undefined : turnGuard.budget.beforeToolCall(toolCalls);
        if (toolStop) throw budgetStop(toolStop);
        const gate = turnGuard;
        const answer = await inSpan(`tool ${call.name}`, { "raworc.tool": call.name, "raworc.tool_call_id": call.callId }, () =>
          runToolCall(call, { sink, conversation, log, tools, workspace, agent: agentName, turn, signal: turnSignal, gate }),
        );
        if (!answer.reused) toolCalls++;
        if (answer.badCall) badToolCalls++;
        if (answer.stop) throw answer.stop;
        input.push({ type: "tool_call", ...call }, { type: "tool_result", callId: call.callId, output: answer.output, isError: answer.isError });
        turnSignal.throwIfAborted();
        const handoff = handoffRequest(call, answer);
        const receiver = handoff && request.agents.find((agent) => agent.metadata?.name === handoff.toAgent);
        if (!handoff || !receiver) continue;
        if (++handoffs > maxHandoffsPerTurn) {
          end = { outcome: "failed", reason: "HandoffLoop", message: `the agents handed this turn off ${handoffs} times; at most ${maxHandoffsPerTurn} handoffs are allowed per turn` };
          break modelLoop;
        }
        await sink.emit({ agent: agentName, turn, payload: { case: "handoff", value: create(HandoffSchema, { toAgent: handoff.toAgent, message: turnGuard.scrub(handoff.message) }) } });
        const giver = agentName;
        agentName = handoff.toAgent;
        ({ spec, model, tools, guard: turnGuard } = await act(receiver, agentName));
        // The receiver starts the rest of the turn afresh on the user's message and the giver's note; the giver's further calls are dropped.
        input = [...request.history, { type: "user", text: handoffInput(user.text, giver, handoff.message) }];
        break;
      }
      if (badToolCalls > maxBadToolCalls) {
        end = { outcome: "failed", reason: "BadToolCalls", message: `the model made ${badToolCalls} tool calls that named no offered tool or had malformed arguments` };
        break;
      }
      turnSignal.throwIfAborted();
    }
  } catch (error) {
    const stop = error instanceof GuardrailStop ? error : budgetController.signal.reason instanceof GuardrailStop ? budgetController.signal.reason : undefined;
    if (signal.reason instanceof VolumeFullError) {
      end = { outcome: "failed", reason: volumeFullReason, message: signal.reason.message };
    } else if (isVolumeFull(error)) {
      // The reserve was spent already; the closing event below may still fit, else the daemon exits as volume-full.
      end = { outcome: "failed", reason: volumeFullReason, message: await describeFullVolume(workspace) };
    } else if (signal.aborted) {
      const reason = signal.reason instanceof TurnCancelledError ? signal.reason : new TurnCancelledError("Cancelled");
      end = { outcome: "cancelled", reason: reason.reason, cancelledBy: reason.cancelledBy };
    } else if (stop) {
      await guard?.record(stop.verdict);
      end = { outcome: "failed", reason: stop.turnReason, message: stop.verdict.reason };
    } else if (error instanceof PatternError) {
      end = { outcome: "failed", reason: "InvalidGuardrails", message: error.message };
    } else if (error instanceof ModelError) {
      // A provider's message can quote what it was sent (a key, a prompt): it is redacted like any output.
      end = { outcome: "failed", reason: "ModelError", message: guard ? guard.scrub(error.message) : error.message };
    } else if (error instanceof UnsupportedError) {
      end = { outcome: "failed", reason: isRoute(routed) ? "Unsupported" : routed.reason, message: error.message };
    } else {
      log.error({ turn, err: describeError(error) }, "turn failed unexpectedly");
      end = { outcome: "failed", reason: "Internal", message: "the daemon hit an internal error; see its log" };
    }
  } finally {
    clearTimeout(durationTimer);
  }
  const payload = closingEvent(end, { usage, modelCalls, toolCalls, durationMs: Date.now() - startedAt });
  await sink.emit({ agent: agentName, turn, payload }, (seq, event) =>
    conversation.append({
      kind: "ended",
      turn,
      agent: agentName,
      outcome: end.outcome,
      text,
      ...(end.outcome === "completed" ? {} : { reason: end.reason }),
      seq: seq.toString(),
      event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
      at: new Date().toISOString(),
    }),
  );
  log.info({ turn, agent: agentName, outcome: end.outcome, modelCalls, toolCalls, replyChars: text.length }, "turn ended");
  return end;
}
