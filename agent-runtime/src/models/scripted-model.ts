/**
 * The `scripted` model adapter: replays ScriptedModel responses from the agent spec, for tests
 * and offline demos (labelled "scripted" in usage). Per agent.proto: a user turn plays the first
 * scripted turn whose match pattern matches the message, else unconditional turn
 * (n - 1) mod count for session turn n, else nothing. One model call plays steps up to and
 * including a run of consecutive tool calls; the next call (after the daemon ran them)
 * continues with the following step.
 */
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { ScriptedModel, ScriptedStep, ScriptedTurn } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ModelError } from "../errors.js";
import { latestUserText, toolCallsThisTurn, type Model, type ModelRequest, type ModelStreamEvent } from "./model.js";
import { compileRe2, PatternError, type Re2Pattern } from "./re2-pattern.js";
import { sleep as delay } from "./retry.js";

/** The name scripted usage is reported under. */
export const scriptedModelName = "scripted";

/** Options for {@link createScriptedModel}. */
export interface ScriptedModelOptions {
  /** Called with a match pattern that cannot run here; such a turn never matches. */
  readonly onBadPattern?: (error: PatternError) => void;
}

/** Picks the scripted turn for session turn `turn` answering `message`; undefined means an empty reply. */
export function pickScriptedTurn(
  script: ScriptedModel,
  message: string,
  turn: number,
  matches: (pattern: string, text: string) => boolean,
): ScriptedTurn | undefined {
  const conditional = script.turns.find((candidate) => candidate.match !== "" && matches(candidate.match, message));
  if (conditional) return conditional;
  const unconditional = script.turns.filter((candidate) => candidate.match === "");
  if (unconditional.length === 0) return undefined;
  return unconditional[(((turn - 1) % unconditional.length) + unconditional.length) % unconditional.length];
}

/** The index of the first step after the first `calls` tool-call steps (where the next model call resumes). */
export function resumeIndex(steps: readonly ScriptedStep[], calls: number): number {
  if (calls === 0) return 0;
  let seen = 0;
  for (let index = 0; index < steps.length; index++) {
    if (steps[index]?.step.case === "toolCall" && ++seen === calls) return index + 1;
  }
  return steps.length;
}


/** Creates a model that replays `script`. */
export function createScriptedModel(script: ScriptedModel, options: ScriptedModelOptions = {}): Model {
  const compiled = new Map<string, Re2Pattern | undefined>();
  const matches = (pattern: string, text: string): boolean => {
    if (!compiled.has(pattern)) {
      try {
        compiled.set(pattern, compileRe2(pattern));
      } catch (error) {
        compiled.set(pattern, undefined);
        if (error instanceof PatternError) options.onBadPattern?.(error);
        else throw error;
      }
    }
    return compiled.get(pattern)?.test(text) ?? false;
  };

  async function* stream(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const { signal } = request;
    signal.throwIfAborted();
    const steps = pickScriptedTurn(script, latestUserText(request.input), request.turn, matches)?.steps ?? [];
    let inToolRun = false;
    for (let index = resumeIndex(steps, toolCallsThisTurn(request.input)); index < steps.length; index++) {
      const step = steps[index]?.step;
      if (!step || (inToolRun && step.case !== "toolCall")) break;
      switch (step.case) {
        case "text":
          yield { type: "text_delta", text: step.value };
          break;
        case "delay":
          await delay(durationMs(step.value), signal);
          break;
        case "usage":
          yield {
            type: "usage",
            usage: { inputTokens: Number(step.value.inputTokens), outputTokens: Number(step.value.outputTokens), cachedInputTokens: 0 },
          };
          break;
        case "error":
          throw new ModelError(step.value);
        case "toolCall":
          inToolRun = true;
          yield {
            type: "tool_call",
            callId: `scripted-${request.turn}-${index}`,
            name: step.value.name,
            argumentsJson: step.value.argumentsJson || "{}",
          };
          break;
        default:
          throw new ModelError(`scripted step ${index} has no content`);
      }
      signal.throwIfAborted();
    }
    yield { type: "done", stopReason: inToolRun ? "tool_use" : "end_turn" };
  }

  return { name: scriptedModelName, stream };
}
