/**
 * Turns what the provider SDKs throw into the daemon's ModelError (which fails the turn, not the
 * daemon): HTTP errors keep their status and retry-after, connection failures and timeouts are
 * retryable, and the API key is scrubbed from every message a provider echoes back.
 */
import * as AnthropicSdk from "@anthropic-ai/sdk";
import * as OpenAiSdk from "openai";
import { ModelError } from "../errors.js";
import { retryAfterMs } from "./retry.js";

/** Whether an HTTP status is worth a retry: timeouts, lock conflicts, rate limits, server errors (incl. Anthropic's 529). */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Replaces every occurrence of `secret` in `text` (a no-op for an empty secret). */
export function scrub(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("[redacted]") : text;
}

/** Maps an error thrown by either SDK during a call to `provider` into a ModelError; other errors pass through. */
export function toModelError(error: unknown, provider: string, apiKey: string | undefined): unknown {
  if (error instanceof ModelError) return error;
  if (error instanceof OpenAiSdk.APIConnectionTimeoutError || error instanceof AnthropicSdk.APIConnectionTimeoutError) {
    return new ModelError(`${provider} did not answer in time`, { retryable: true });
  }
  if (error instanceof OpenAiSdk.APIConnectionError || error instanceof AnthropicSdk.APIConnectionError) {
    return new ModelError(`${provider} could not be reached: ${scrub(error.message, apiKey)}`, { retryable: true });
  }
  if (error instanceof OpenAiSdk.APIError || error instanceof AnthropicSdk.APIError) {
    const { status, headers, error: body } = error as { status: number | undefined; headers: Headers | undefined; error: unknown };
    const message = scrub(error.message, apiKey);
    if (status === undefined) {
      // An error event inside a stream (OpenAI `{"error": ...}` data, Anthropic `event: error`).
      const overloaded = /overloaded|rate_limit|server_error|api_error/i.test(JSON.stringify(body ?? {}));
      return new ModelError(`${provider} failed mid-stream: ${message}`, { retryable: overloaded });
    }
    return new ModelError(`${provider} answered HTTP ${message}`, {
      status,
      retryable: isRetryableStatus(status),
      retryAfterMs: retryAfterMs(headers),
    });
  }
  if (error instanceof OpenAiSdk.OpenAIError || error instanceof AnthropicSdk.AnthropicError) {
    return new ModelError(`${provider} sent a response the client could not read: ${scrub(error.message, apiKey)}`);
  }
  if (error instanceof SyntaxError) return new ModelError(`${provider} sent malformed JSON: ${scrub(error.message, apiKey)}`);
  return error;
}
