/**
 * A fake OpenAI Responses server (POST /v1/responses, `stream: true`) that answers the way OpenAI
 * does: named SSE events (`event: response.x` + `data: {"type": "response.x", …,
 * "sequence_number": n}`) — response.created and response.in_progress with the response
 * skeleton; per output item response.output_item.added, for a message content_part.added /
 * output_text.delta / output_text.done / content_part.done, for a function call
 * function_call_arguments.delta pieces and .done; response.output_item.done with the finished
 * item; then response.completed (or response.incomplete) carrying the whole response with usage.
 * A mid-stream failure is an `event: error` frame; HTTP errors are OpenAI's JSON error bodies.
 */
import { openAiError } from "./openai.js";
import { startFakeServer, type FakeServer, type SseFrame } from "./server.js";

/** A scripted Responses reply. */
export interface OpenAiResponsesScript {
  /** Text pieces of one assistant message, each one output_text.delta. */
  readonly text?: readonly string[];
  /** Function calls (parallel when several), each with its arguments split into delta pieces. */
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly argumentPieces: readonly string[] }[];
  readonly usage?: { readonly input: number; readonly output: number; readonly cached?: number };
  /** End with response.incomplete for this reason instead of response.completed. */
  readonly incomplete?: "max_output_tokens" | "content_filter";
  /** An `event: error` frame after the content, ending the stream (OpenAI's mid-stream failure). */
  readonly errorMidStream?: { readonly code: string; readonly message: string };
  readonly pauseMs?: number;
  /** Keep the stream open after the content, before the terminal event, until the client goes away. */
  readonly hold?: boolean;
}

/** The fake Responses server; `baseURL` ends in /v1 as the SDK expects. */
export interface FakeOpenAiResponses extends FakeServer {
  readonly baseURL: string;
  /** Queues a streamed reply built from `script`. */
  reply(script: OpenAiResponsesScript): void;
}

/** The Response object as it stands at `status`, with `output` and `usage` once known. */
function responseObject(status: string, output: unknown[], usage: Record<string, unknown> | null, incomplete?: string): Record<string, unknown> {
  return {
    id: "resp_fake",
    object: "response",
    created_at: 1_700_000_000,
    status,
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: incomplete } : null,
    instructions: null,
    max_output_tokens: null,
    model: "fake-model",
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: null, summary: null },
    store: false,
    temperature: 1,
    text: { format: { type: "text" }, verbosity: "medium" },
    tool_choice: "auto",
    tools: [],
    top_p: 1,
    truncation: "disabled",
    usage,
    user: null,
    metadata: {},
  };
}

/** The SSE frames OpenAI would send for `script`. */
export function openAiResponsesFrames(script: OpenAiResponsesScript): SseFrame[] {
  const frames: SseFrame[] = [];
  const emit = (type: string, data: Record<string, unknown>): void => {
    frames.push({ event: type, data: { type, ...data, sequence_number: frames.length } });
  };
  emit("response.created", { response: responseObject("in_progress", [], null) });
  emit("response.in_progress", { response: responseObject("in_progress", [], null) });
  const output: Record<string, unknown>[] = [];
  if (script.text?.length) {
    const output_index = output.length;
    const item_id = `msg_fake_${output_index}`;
    const text = script.text.join("");
    emit("response.output_item.added", { output_index, item: { id: item_id, type: "message", status: "in_progress", role: "assistant", content: [] } });
    emit("response.content_part.added", { item_id, output_index, content_index: 0, part: { type: "output_text", text: "", annotations: [], logprobs: [] } });
    for (const delta of script.text) emit("response.output_text.delta", { item_id, output_index, content_index: 0, delta, logprobs: [] });
    emit("response.output_text.done", { item_id, output_index, content_index: 0, text, logprobs: [] });
    const part = { type: "output_text", text, annotations: [], logprobs: [] };
    emit("response.content_part.done", { item_id, output_index, content_index: 0, part });
    const item = { id: item_id, type: "message", status: "completed", role: "assistant", content: [part] };
    emit("response.output_item.done", { output_index, item });
    output.push(item);
  }
  for (const call of script.toolCalls ?? []) {
    const output_index = output.length;
    const item_id = `fc_fake_${output_index}`;
    const args = call.argumentPieces.join("");
    emit("response.output_item.added", { output_index, item: { id: item_id, type: "function_call", status: "in_progress", arguments: "", call_id: call.id, name: call.name } });
    for (const delta of call.argumentPieces) emit("response.function_call_arguments.delta", { item_id, output_index, delta });
    emit("response.function_call_arguments.done", { item_id, output_index, name: call.name, arguments: args });
    const item = { id: item_id, type: "function_call", status: "completed", arguments: args, call_id: call.id, name: call.name };
    emit("response.output_item.done", { output_index, item });
    output.push(item);
  }
  if (script.errorMidStream) {
    emit("error", { code: script.errorMidStream.code, message: script.errorMidStream.message, param: null });
    return frames;
  }
  if (script.hold) return frames;
  const usage = script.usage ?? { input: 0, output: 0 };
  const usageObject = {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cached ?? 0 },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.input + usage.output,
  };
  if (script.incomplete) emit("response.incomplete", { response: responseObject("incomplete", output, usageObject, script.incomplete) });
  else emit("response.completed", { response: responseObject("completed", output, usageObject) });
  return frames;
}

/** Starts a fake Responses server; an unscripted request gets a 400 saying so. */
export async function startFakeOpenAiResponses(): Promise<FakeOpenAiResponses> {
  const server = await startFakeServer("/v1/responses", () => openAiError(400, "the fake has no scripted reply for this request"));
  return {
    ...server,
    baseURL: `${server.origin}/v1`,
    reply(script) {
      server.enqueue({ kind: "stream", frames: openAiResponsesFrames(script), ...(script.pauseMs ? { pauseMs: script.pauseMs } : {}), ...(script.hold ? { hold: true } : {}) });
    },
  };
}
