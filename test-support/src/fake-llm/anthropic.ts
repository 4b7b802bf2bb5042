/**
 * A fake Anthropic Messages server (POST /v1/messages, `stream: true`) that answers the way
 * Anthropic does: SSE `event:` + `data:` frames message_start (with input usage), ping, per block
 * content_block_start / content_block_delta (text_delta, or input_json_delta pieces for tool_use)
 * / content_block_stop, message_delta (stop_reason, cumulative output usage), message_stop;
 * `event: error` mid-stream, and HTTP errors as Anthropic's JSON error bodies.
 */
import { startFakeServer, type ErrorReply, type FakeServer, type SseFrame } from "./server.js";

/** A scripted Messages reply. */
export interface AnthropicScript {
  readonly text?: readonly string[];
  readonly toolUses?: readonly { readonly id: string; readonly name: string; readonly jsonPieces: readonly string[] }[];
  readonly usage?: { readonly input: number; readonly output: number; readonly cacheRead?: number };
  /** An `event: error` frame after the content (e.g. "overloaded_error"). */
  readonly errorMidStream?: { readonly type: string; readonly message: string };
  readonly pauseMs?: number;
  readonly hold?: boolean;
}

/** The fake Anthropic server; `baseURL` is the origin (the SDK appends /v1/messages). */
export interface FakeAnthropic extends FakeServer {
  readonly baseURL: string;
  /** Queues a streamed reply built from `script`. */
  reply(script: AnthropicScript): void;
}

/** The error type Anthropic uses for an HTTP status. */
function errorType(status: number): string {
  if (status === 429) return "rate_limit_error";
  if (status === 529) return "overloaded_error";
  if (status >= 500) return "api_error";
  if (status === 401) return "authentication_error";
  return "invalid_request_error";
}

/** An Anthropic JSON error body reply. */
export function anthropicError(status: number, message: string, headers?: Record<string, string>): ErrorReply {
  return { kind: "error", status, body: { type: "error", error: { type: errorType(status), message }, request_id: "req_fake" }, ...(headers ? { headers } : {}) };
}

/** The SSE frames Anthropic would send for `script`. */
export function anthropicFrames(script: AnthropicScript): SseFrame[] {
  const usage = script.usage ?? { input: 0, output: 0 };
  const frame = (event: string, data: Record<string, unknown>): SseFrame => ({ event, data: { type: event, ...data } });
  const frames: SseFrame[] = [
    frame("message_start", {
      message: {
        id: "msg_fake",
        type: "message",
        role: "assistant",
        model: "fake-model",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input, cache_creation_input_tokens: 0, cache_read_input_tokens: usage.cacheRead ?? 0, output_tokens: 1 },
      },
    }),
    frame("ping", {}),
  ];
  let index = 0;
  if (script.text?.length) {
    frames.push(frame("content_block_start", { index, content_block: { type: "text", text: "" } }));
    for (const text of script.text) frames.push(frame("content_block_delta", { index, delta: { type: "text_delta", text } }));
    frames.push(frame("content_block_stop", { index }));
    index++;
  }
  for (const use of script.toolUses ?? []) {
    frames.push(frame("content_block_start", { index, content_block: { type: "tool_use", id: use.id, name: use.name, input: {} } }));
    for (const piece of use.jsonPieces) frames.push(frame("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } }));
    frames.push(frame("content_block_stop", { index }));
    index++;
  }
  if (script.errorMidStream) {
    frames.push(frame("error", { error: script.errorMidStream }));
    return frames;
  }
  if (script.hold) return frames;
  frames.push(frame("message_delta", { delta: { stop_reason: script.toolUses?.length ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: usage.output } }));
  frames.push(frame("message_stop", {}));
  return frames;
}

/** Starts a fake Anthropic server; an unscripted request gets a 400 saying so. */
export async function startFakeAnthropic(): Promise<FakeAnthropic> {
  const server = await startFakeServer("/v1/messages", () => anthropicError(400, "the fake has no scripted reply for this request"));
  return {
    ...server,
    baseURL: server.origin,
    reply(script) {
      server.enqueue({ kind: "stream", frames: anthropicFrames(script), ...(script.pauseMs ? { pauseMs: script.pauseMs } : {}), ...(script.hold ? { hold: true } : {}) });
    },
  };
}
