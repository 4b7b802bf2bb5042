/** Retries of Kubernetes API calls: exponential backoff with full jitter, bounded, honouring Retry-After. */
import { DependencyUnavailableError } from "../../errors.js";
import { toKubernetesApiError } from "./api-errors.js";
import type { RetryPolicy } from "./options.js";

/** Sleeps, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The backoff before attempt `attempt + 1` (attempt counts from 1): full jitter up to base * 2^(attempt-1). */
export function backoffDelay(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  return Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
}

/**
 * Runs `call` until it succeeds, fails for good (4xx other than 408/429), or has used every
 * attempt; then the last error is thrown as DependencyUnavailableError("kubernetes").
 */
export async function withRetry<T>(what: string, policy: RetryPolicy, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (raw) {
      const error = toKubernetesApiError(raw);
      if (!error.retryable) throw error;
      if (attempt >= policy.attempts) {
        throw new DependencyUnavailableError(`kubernetes (${what}: ${error.message})`, { cause: error });
      }
      const delay = Math.max(backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs), Math.min(error.retryAfterMs ?? 0, policy.maxDelayMs));
      await sleep(delay, signal);
    }
  }
}
