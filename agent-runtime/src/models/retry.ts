/**
 * Retries of model calls, owned here rather than by the SDKs (both clients are built with
 * maxRetries 0): a failed call is retried only while nothing of it has been yielded (so a reply is
 * never streamed twice), the wait honours the provider's `retry-after-ms` / `retry-after`
 * (seconds or HTTP date) and is otherwise exponential backoff with full jitter, every wait ends
 * at once when the call's AbortSignal aborts, and a server asking to wait longer than
 * `maxRetryAfterMs` fails the call at once instead of holding the turn.
 */
import { ModelError } from "../errors.js";

/** How a model call is retried. */
export interface RetryPolicy {
  /** Retries after the first attempt (so attempts = maxRetries + 1). */
  readonly maxRetries: number;
  /** The first backoff when the provider gives no retry-after; doubles per retry. */
  readonly baseDelayMs: number;
  /** The largest backoff without retry-after. */
  readonly maxDelayMs: number;
  /** The longest retry-after honoured; a longer one fails the call. */
  readonly maxRetryAfterMs: number;
}

/** The daemon's default policy: 3 retries (ModelSpec.max_retries overrides), 0.5 s doubling to 8 s, retry-after up to 60 s. */
export const defaultRetryPolicy: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };

/** The wait a provider asked for in its response headers, in ms; undefined when it gave none. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get("retry-after-ms");
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get("retry-after");
  if (!value) return undefined;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Waits `ms`, rejecting with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Streams `attempt()`, retrying retryable ModelErrors raised before its first event. */
export async function* withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal,
  attempt: () => AsyncIterable<T>,
  onRetry?: (info: { attempt: number; delayMs: number; error: ModelError }) => void,
): AsyncGenerator<T> {
  for (let retry = 0; ; retry++) {
    let yielded = false;
    try {
      for await (const item of attempt()) {
        yielded = true;
        yield item;
      }
      return;
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (!(error instanceof ModelError) || !error.retryable || yielded) throw error;
      if (retry >= policy.maxRetries) {
        throw new ModelError(`${error.message} (gave up after ${retry + 1} attempts)`, { cause: error, retryable: false, status: error.status });
      }
      const asked = error.retryAfterMs;
      if (asked !== undefined && asked > policy.maxRetryAfterMs) {
        throw new ModelError(`${error.message} (the provider asks to retry after ${Math.ceil(asked / 1000)} s, longer than the ${policy.maxRetryAfterMs / 1000} s allowed)`, {
          cause: error,
          status: error.status,
        });
      }
      const delayMs = asked ?? Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
      onRetry?.({ attempt: retry + 1, delayMs, error });
      await sleep(delayMs, signal);
    }
  }
}

/** Passes `events` through, throwing the abort reason before each one once `signal` aborts (the SDKs end an aborted stream silently). */
export async function* untilAborted<T>(events: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  for await (const event of events) {
    signal.throwIfAborted();
    yield event;
  }
  signal.throwIfAborted();
}
