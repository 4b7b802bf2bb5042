/**
 * Picks the model adapter for an agent's ModelSpec. Only the scripted provider exists in this
 * daemon so far; the others are refused with a clear reason that fails the turn, not the session.
 */
import { ModelProvider, type ModelSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { UnsupportedError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Model } from "./model.js";
import { createScriptedModel } from "./scripted-model.js";

/** What adapters may need besides the spec. */
export interface ModelDependencies {
  /** Secret values by secret name and key, held in memory only. */
  readonly secret: (name: string, key: string) => string | undefined;
  readonly log: Logger;
}

/** A function that builds a Model from a spec (its type is what the turn loop depends on). */
export type ModelFactory = (spec: ModelSpec) => Model;

/** Creates the factory the daemon uses: one adapter per provider. */
export function createModelFactory(dependencies: ModelDependencies): ModelFactory {
  return (spec) => {
    switch (spec.provider) {
      case ModelProvider.SCRIPTED:
        if (!spec.scripted) throw new UnsupportedError("the scripted provider needs model.scripted");
        return createScriptedModel(spec.scripted, {
          onBadPattern: (error) => dependencies.log.warn({ err: error.message }, "scripted match pattern cannot run; it never matches"),
        });
      default:
        throw new UnsupportedError(`model provider ${ModelProvider[spec.provider] ?? spec.provider} is not supported by this daemon yet`);
    }
  };
}
