/**
 * What a guardrail decides, before it becomes a GuardrailDecision event: the stage, the action,
 * the rule (a path into the agent spec, e.g. "guardrails.tool_call.command_deny_patterns[2]")
 * and a reason that names the rule's kind but never the content it matched.
 */
import { GuardrailAction, GuardrailStage } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** One guardrail decision. */
export interface GuardrailVerdict {
  readonly stage: GuardrailStage;
  readonly action: GuardrailAction;
  /** The path into the agent spec of the rule that decided. */
  readonly rule: string;
  /** Why, for people; never the matched or redacted content. */
  readonly reason: string;
  /** The tool call concerned, for tool-call decisions and tool-result redactions. */
  readonly toolCallId?: string;
}

/** The rule under which the values of the session's delivered secrets are redacted: always on, whatever the spec says. */
export const deliveredSecretsRule = "secrets";

/** Shorthands for the stages and actions. */
export const stage = GuardrailStage;
export const action = GuardrailAction;
