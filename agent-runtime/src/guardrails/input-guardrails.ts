/**
 * Input guardrails (InputGuardrails) on a user message before the model sees it: its length,
 * the deny patterns, and the prompt-injection markers. A refusal fails the turn (reason
 * InputDenied); the model is never called.
 */
import type { InputGuardrails } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { findInjectionMarker } from "./injection-markers.js";
import { compileRules, firstMatch } from "./rule-patterns.js";
import { action, stage, type GuardrailVerdict } from "./verdict.js";

/** The longest message when max_chars is unset: 256 KiB worth of characters (agent.proto). */
export const defaultMaxInputChars = 262_144;

/** The TurnFailed reason of a message the input guardrails refused. */
export const inputDeniedReason = "InputDenied";

/** The refusal of `text` under `spec`, or undefined when the message may go to the model. */
export function checkInput(spec: InputGuardrails | undefined, text: string): GuardrailVerdict | undefined {
  const deny = (rule: string, reason: string): GuardrailVerdict => ({ stage: stage.INPUT, action: action.DENY, rule, reason });
  const maxChars = spec?.maxChars ?? defaultMaxInputChars;
  // Characters are code points, so a message of emoji is not counted twice.
  let chars = 0;
  for (const _ of text) chars++;
  if (chars > maxChars) return deny("guardrails.input.max_chars", `the message has ${chars} characters, more than the ${maxChars} allowed`);
  const denied = firstMatch(compileRules("guardrails.input.deny_patterns", spec?.denyPatterns ?? []), text);
  if (denied) return deny(denied.rule, "the message matches a deny pattern of the agent's input guardrails");
  if (spec?.blockPromptInjection) {
    const marker = findInjectionMarker(text);
    if (marker) return deny("guardrails.input.block_prompt_injection", `the message carries a prompt-injection marker (${marker})`);
  }
  return undefined;
}
