/**
 * The OpenAI adapter (provider OPENAI, and OPENAI_COMPATIBLE — vLLM, Ollama, llama.cpp — which is
 * the same adapter with a base URL): Chat Completions streaming through the `openai` SDK, with
 * usage requested in the final chunk. The SDK's own retries are off (maxRetries 0) and its
 * logger silenced; retries happen in withRetries so they are abortable, bounded and never replay
 * a reply already streamed. The API key lives only in the client; no log line carries it.
 */
import type { ModelParameters, ModelSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { tracedFetch } from "../telemetry/spans.js";
import OpenAI from "openai";
import type { Logger } from "../logger.js";
import type { Model, ModelRequest, ModelStreamEvent } from "./model.js";
import { fromChatChunks, toChatMessages, toChatTools } from "./openai-chat-format.js";
import { toModelError } from "./provider-errors.js";
import { defaultRetryPolicy, untilAborted, withRetries, type RetryPolicy } from "./retry.js";

/** What the OpenAI adapter needs besides the spec. */
export interface OpenAiModelOptions {
  /** The API key, from the agent's secret; OpenAI-compatible servers may need none. */
  readonly apiKey: string | undefined;
  /** True for OPENAI_COMPATIBLE: sampling knobs OpenAI refuses (top_k) are sent, max_tokens replaces max_completion_tokens. */
  readonly compatible: boolean;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
  /** Per-attempt timeout in ms (ModelSpec.request_timeout; 10 minutes when unset). */
  readonly timeoutMs?: number;
}

/** The sampling fields of a Chat Completions request for `parameters`. */
function chatParameters(parameters: ModelParameters | undefined, compatible: boolean): Record<string, unknown> {
  if (!parameters) return {};
  const body: Record<string, unknown> = {};
  if (parameters.temperature !== undefined) body.temperature = parameters.temperature;
  if (parameters.topP !== undefined) body.top_p = parameters.topP;
  if (parameters.topK !== undefined && compatible) body.top_k = parameters.topK;
  if (parameters.maxOutputTokens !== undefined) body[compatible ? "max_tokens" : "max_completion_tokens"] = parameters.maxOutputTokens;
  if (parameters.stopSequences.length > 0) body.stop = [...parameters.stopSequences];
  if (parameters.presencePenalty !== undefined) body.presence_penalty = parameters.presencePenalty;
  if (parameters.frequencyPenalty !== undefined) body.frequency_penalty = parameters.frequencyPenalty;
  if (parameters.seed !== undefined) body.seed = Number(parameters.seed);
  if (parameters.reasoningEffort !== undefined) body.reasoning_effort = parameters.reasoningEffort;
  return body;
}

/** The SDK client both OpenAI adapters use (its retries off, its logger silent) and the provider's name for messages. */
export function openAiClient(spec: ModelSpec, options: OpenAiModelOptions): { provider: string; client: OpenAI } {
  const client = new OpenAI({
    // The SDK refuses to start without a key; local OpenAI-compatible servers often take none.
    apiKey: options.apiKey ?? "none",
    ...(spec.baseUrl ? { baseURL: spec.baseUrl } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs ?? 600_000,
    logLevel: "off",
    fetch: tracedFetch,
  });
  return { provider: options.compatible ? `OpenAI-compatible server ${spec.baseUrl}` : "OpenAI", client };
}

/** Creates a Chat Completions model for `spec`. */
export function createOpenAiChatModel(spec: ModelSpec, options: OpenAiModelOptions): Model {
  const { provider, client } = openAiClient(spec, options);
  const retry = options.retry ?? defaultRetryPolicy;

  async function* attempt(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const tools = toChatTools(request.tools);
    try {
      const stream = await client.chat.completions.create(
        {
          ...chatParameters(spec.parameters, options.compatible),
          model: spec.name,
          messages: toChatMessages(request.instructions, request.input),
          ...(tools ? { tools } : {}),
          ...(tools && spec.parameters?.parallelToolCalls !== undefined ? { parallel_tool_calls: spec.parameters.parallelToolCalls } : {}),
          stream: true,
          stream_options: { include_usage: true },
        },
        { signal: request.signal },
      );
      yield* untilAborted(fromChatChunks(stream), request.signal);
    } catch (error) {
      if (request.signal.aborted) throw request.signal.reason;
      throw toModelError(error, provider, options.apiKey);
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
