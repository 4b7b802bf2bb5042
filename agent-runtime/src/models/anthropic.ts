/**
 * The Anthropic adapter: the Messages API streamed through `@anthropic-ai/sdk`. As for OpenAI, the
 * SDK's retries are off (maxRetries 0) and its logger silenced; withRetries retries 429/5xx/529
 * and connection failures before the first event, honouring retry-after. The API key lives only
 * in the client.
 */
import { tracedFetch } from "../telemetry/spans.js";
import Anthropic from "@anthropic-ai/sdk";
import type { ModelParameters, ModelSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { Logger } from "../logger.js";
import { fromAnthropicEvents, toAnthropicMessages, toAnthropicTools } from "./anthropic-format.js";
import type { Model, ModelRequest, ModelStreamEvent } from "./model.js";
import { toModelError } from "./provider-errors.js";
import { defaultRetryPolicy, untilAborted, withRetries, type RetryPolicy } from "./retry.js";

/** max_tokens is required by the Messages API; this is sent when the spec sets none. */
export const defaultAnthropicMaxTokens = 8192;

/** What the Anthropic adapter needs besides the spec. */
export interface AnthropicModelOptions {
  /** The API key, from the agent's secret. */
  readonly apiKey: string;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout in ms (ModelSpec.request_timeout; 10 minutes when unset). */
  readonly timeoutMs?: number;
}

/** The sampling fields of a Messages request for `parameters`. */
function messageParameters(parameters: ModelParameters | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = { max_tokens: parameters?.maxOutputTokens ?? defaultAnthropicMaxTokens };
  if (!parameters) return body;
  if (parameters.temperature !== undefined) body.temperature = parameters.temperature;
  if (parameters.topP !== undefined) body.top_p = parameters.topP;
  if (parameters.topK !== undefined) body.top_k = parameters.topK;
  if (parameters.stopSequences.length > 0) body.stop_sequences = [...parameters.stopSequences];
  if (parameters.thinkingBudgetTokens !== undefined) body.thinking = { type: "enabled", budget_tokens: parameters.thinkingBudgetTokens };
  return body;
}

/** Creates a Messages API model for `spec`. */
export function createAnthropicModel(spec: ModelSpec, options: AnthropicModelOptions): Model {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(spec.baseUrl ? { baseURL: spec.baseUrl } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
    logLevel: "off",
    fetch: tracedFetch,
  });
  const retry = options.retry ?? defaultRetryPolicy;

  async function* attempt(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const tools = toAnthropicTools(request.tools);
    const parallel = spec.parameters?.parallelToolCalls;
    try {
      const stream = await client.messages.create(
        {
          ...(messageParameters(spec.parameters) as { max_tokens: number }),
          model: spec.name,
          messages: toAnthropicMessages(request.input),
          ...(request.instructions ? { system: request.instructions } : {}),
          ...(tools ? { tools } : {}),
          ...(tools && parallel === false ? { tool_choice: { type: "auto", disable_parallel_tool_use: true } } : {}),
          stream: true,
        },
        { signal: request.signal },
      );
      yield* untilAborted(fromAnthropicEvents(stream), request.signal);
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      throw toModelError(error, "Anthropic", options.apiKey);
    }
  }

  return {
    name: spec.name,
    stream: (request) =>
      withRetries(retry, request.signal, () => attempt(request), ({ attempt: number, delayMs, error }) =>
        options.log.warn({ model: spec.name, attempt: number, delayMs: Math.round(delayMs), status: error.status }, "model call failed; retrying"),
      ),
  };
}
