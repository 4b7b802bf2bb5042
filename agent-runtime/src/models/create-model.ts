/**
 * Picks the model adapter for an agent's ModelSpec: scripted, OpenAI and OpenAI-compatible
 * (Chat Completions or Responses, by ModelSpec.api), Anthropic (Messages). API keys are read from the Welcome secrets in memory
 * when the model is built; a missing key is a ModelError that fails the turn, not the session.
 */
import { durationMs } from "@bufbuild/protobuf/wkt";
import { ModelApi, ModelProvider, type ModelSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ModelError, UnsupportedError } from "../errors.js";
import type { Logger } from "../logger.js";
import { createAnthropicModel } from "./anthropic.js";
import type { Model } from "./model.js";
import { createOpenAiChatModel } from "./openai.js";
import { createOpenAiResponsesModel } from "./openai-responses.js";
import { withPricing } from "./pricing.js";
import { defaultRetryPolicy, type RetryPolicy } from "./retry.js";
import { createScriptedModel } from "./scripted-model.js";

/** What adapters may need besides the spec. */
export interface ModelDependencies {
  /** Secret values by secret name and key, held in memory only. */
  readonly secret: (name: string, key: string) => string | undefined;
  readonly log: Logger;
  /** How provider calls are retried; the daemon's default policy when unset (tests shorten it). */
  readonly retry?: RetryPolicy;
}

/** A function that builds a Model from a spec (its type is what the turn loop depends on). */
export type ModelFactory = (spec: ModelSpec) => Model;

/** The API key the spec names, or undefined when it names none; throws ModelError when the named secret key is missing. */
function apiKeyOf(spec: ModelSpec, dependencies: ModelDependencies): string | undefined {
  if (!spec.apiKey) return undefined;
  const value = dependencies.secret(spec.apiKey.secret, spec.apiKey.key);
  if (value === undefined || value === "") {
    throw new ModelError(`the API key secret "${spec.apiKey.secret}" (key "${spec.apiKey.key}") is not available to this session`);
  }
  return value;
}

/** Creates the factory the daemon uses: one adapter per provider, its usage priced when the spec has pricing. */
export function createModelFactory(dependencies: ModelDependencies): ModelFactory {
  const adapterFor = createAdapterFactory(dependencies);
  return (spec) => (spec.pricing ? withPricing(adapterFor(spec), spec.pricing) : adapterFor(spec));
}

/** The adapter for a spec's provider and API. */
function createAdapterFactory(dependencies: ModelDependencies): ModelFactory {
  return (spec) => {
    const policy = dependencies.retry ?? defaultRetryPolicy;
    const common = {
      log: dependencies.log,
      retry: spec.maxRetries === undefined ? policy : { ...policy, maxRetries: spec.maxRetries },
      ...(spec.requestTimeout ? { timeoutMs: durationMs(spec.requestTimeout) } : {}),
    };
    switch (spec.provider) {
      case ModelProvider.SCRIPTED:
        if (!spec.scripted) throw new UnsupportedError("the scripted provider needs model.scripted");
        return createScriptedModel(spec.scripted, {
          onBadPattern: (error) => dependencies.log.warn({ err: error.message }, "scripted match pattern cannot run; it never matches"),
        });
      case ModelProvider.OPENAI:
      case ModelProvider.OPENAI_COMPATIBLE: {
        const compatible = spec.provider === ModelProvider.OPENAI_COMPATIBLE;
        const apiKey = apiKeyOf(spec, dependencies);
        if (!compatible && apiKey === undefined) throw new ModelError("provider OPENAI needs model.api_key");
        if (compatible && !spec.baseUrl) throw new ModelError("provider OPENAI_COMPATIBLE needs model.base_url");
        const options = { ...common, apiKey, compatible };
        return spec.api === ModelApi.RESPONSES ? createOpenAiResponsesModel(spec, options) : createOpenAiChatModel(spec, options);
      }
      case ModelProvider.ANTHROPIC: {
        const apiKey = apiKeyOf(spec, dependencies);
        if (apiKey === undefined) throw new ModelError("provider ANTHROPIC needs model.api_key");
        return createAnthropicModel(spec, { ...common, apiKey });
      }
      default:
        throw new UnsupportedError(`model provider ${ModelProvider[spec.provider] ?? spec.provider} is not supported by this daemon`);
    }
  };
}
