/**
 * The OpenAI Responses adapter (ModelSpec.api RESPONSES, for OPENAI and OpenAI-compatible servers
 * that implement it): `responses.create` streamed through the `openai` SDK. The whole
 * conversation is sent each call with `store: false`, so nothing depends on OpenAI keeping state
 * and a remixed or restored session sends exactly what it holds. As for Chat Completions, the
 * SDK's retries are off and withRetries retries before the first event, honouring retry-after.
 */
import type { ModelParameters, ModelSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { Model, ModelRequest, ModelStreamEvent } from "./model.js";
import { openAiClient, type OpenAiModelOptions } from "./openai.js";
import { fromResponsesEvents, toResponsesInput, toResponsesTools } from "./openai-responses-format.js";
import { toModelError } from "./provider-errors.js";
import { defaultRetryPolicy, untilAborted, withRetries } from "./retry.js";

/** The sampling fields of a Responses request for `parameters` (stop sequences, penalties, seed and top_k have no Responses field). */
function responsesParameters(parameters: ModelParameters | undefined): Record<string, unknown> {
  if (!parameters) return {};
  const body: Record<string, unknown> = {};
  if (parameters.temperature !== undefined) body.temperature = parameters.temperature;
  if (parameters.topP !== undefined) body.top_p = parameters.topP;
  if (parameters.maxOutputTokens !== undefined) body.max_output_tokens = parameters.maxOutputTokens;
  if (parameters.reasoningEffort !== undefined) body.reasoning = { effort: parameters.reasoningEffort };
  return body;
}

/** Creates a Responses API model for `spec`. */
export function createOpenAiResponsesModel(spec: ModelSpec, options: OpenAiModelOptions): Model {
  const { provider, client } = openAiClient(spec, options);
  const retry = options.retry ?? defaultRetryPolicy;

  async function* attempt(request: ModelRequest): AsyncGenerator<ModelStreamEvent> {
    const tools = toResponsesTools(request.tools);
    try {
      const stream = await client.responses.create(
        {
          ...responsesParameters(spec.parameters),
          model: spec.name,
          ...(request.instructions ? { instructions: request.instructions } : {}),
          input: toResponsesInput(request.input),
          ...(tools ? { tools } : {}),
          ...(tools && spec.parameters?.parallelToolCalls !== undefined ? { parallel_tool_calls: spec.parameters.parallelToolCalls } : {}),
          store: false,
          stream: true,
        },
        { signal: request.signal },
      );
      yield* untilAborted(fromResponsesEvents(stream, provider, options.apiKey), request.signal);
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
