/**
 * A fake OpenAI Chat Completions server (POST /v1/chat/completions, `stream: true`) that answers
 * the way OpenAI does: `data: {chunk}` SSE lines ending `data: [DONE]`, a first chunk with the
 * role, tool calls split across chunks (index, id, type and name first with empty arguments, then
 * argument pieces), finish_reason in its own chunk, usage in a final chunk with empty choices only
 * when `stream_options.include_usage` is set, and errors as OpenAI's JSON error bodies.
 */
import { startFakeServer, type ErrorReply, type FakeServer, type SseFrame, type StreamReply } from "./server.js";

/** A scripted Chat Completions reply. */
export interface OpenAiScript {
  /** Text pieces, each one chunk. */
  readonly text?: readonly string[];
  /** Tool calls (parallel when several), each with its arguments split into pieces. */
  readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly argumentPieces: readonly string[] }[];
  readonly usage?: { readonly input: number; readonly output: number; readonly cached?: number };
  /** An `{"error": …}` data line after the content (OpenAI's mid-stream failure). */
  readonly errorMidStream?: string;
  readonly pauseMs?: number;
  readonly hold?: boolean;
}

/** The fake OpenAI server; `baseURL` ends in /v1 as the SDK expects. */
export interface FakeOpenAi extends FakeServer {
  readonly baseURL: string;
  /** Queues a streamed reply built from `script`; `include_usage` is honoured at request time. */
  reply(script: OpenAiScript): void;
}

/** An OpenAI JSON error body reply. */
export function openAiError(status: number, message: string, headers?: Record<string, string>): ErrorReply {
  const type = status === 429 ? "rate_limit_exceeded" : status >= 500 ? "server_error" : "invalid_request_error";
  return { kind: "error", status, body: { error: { message, type, param: null, code: status === 429 ? "rate_limit_exceeded" : null } }, ...(headers ? { headers } : {}) };
}

/** The SSE frames OpenAI would send for `script`. */
export function openAiFrames(script: OpenAiScript, includeUsage: boolean): SseFrame[] {
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 1_700_000_000, model: "fake-model", system_fingerprint: "fp_fake" };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): SseFrame => ({
    data: { ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) },
  });
  const frames: SseFrame[] = [chunk({ role: "assistant", content: "", refusal: null })];
  for (const text of script.text ?? []) frames.push(chunk({ content: text }));
  (script.toolCalls ?? []).forEach((call, index) => {
    frames.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    for (const piece of call.argumentPieces) frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  if (script.errorMidStream) {
    frames.push({ data: { error: { message: script.errorMidStream, type: "server_error", param: null, code: null } } });
    return frames;
  }
  frames.push(chunk({}, script.toolCalls?.length ? "tool_calls" : "stop"));
  if (includeUsage) {
    const usage = script.usage ?? { input: 0, output: 0 };
    frames.push({
      data: {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: usage.input,
          completion_tokens: usage.output,
          total_tokens: usage.input + usage.output,
          prompt_tokens_details: { cached_tokens: usage.cached ?? 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
      },
    });
  }
  if (!script.hold) frames.push({ data: "[DONE]" });
  return frames;
}

/** Starts a fake OpenAI server; an unscripted request gets a 400 saying so. */
export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const server = await startFakeServer("/v1/chat/completions", () => openAiError(400, "the fake has no scripted reply for this request"));
  return {
    ...server,
    baseURL: `${server.origin}/v1`,
    reply(script) {
      // Frames depend on the request's include_usage, so they are built lazily through a getter.
      const requests = server.requests;
      const reply: StreamReply = {
        kind: "stream",
        get frames() {
          const body = requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } } | undefined;
          return openAiFrames(script, body?.stream_options?.include_usage === true);
        },
        ...(script.pauseMs ? { pauseMs: script.pauseMs } : {}),
        ...(script.hold ? { hold: true } : {}),
      };
      server.enqueue(reply);
    },
  };
}
