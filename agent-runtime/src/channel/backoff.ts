/**
 * Reconnect delays: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff and Jitter"): attempt n waits a uniformly random time in [0, min(cap, base * 2^n)),
 * so daemons cut off together do not reconnect together.
 */

/** Options for {@link Backoff}, with their defaults. */
export interface BackoffOptions {
  /** The first ceiling, in milliseconds; default 100. */
  readonly baseMs?: number;
  /** The largest ceiling, in milliseconds; default 10 000. */
  readonly capMs?: number;
  /** A source of uniform numbers in [0, 1); default Math.random. */
  readonly random?: () => number;
}

/** The ceiling of attempt `attempt` (from 0): min(cap, base * 2^attempt). */
export function backoffCeiling(attempt: number, baseMs = 100, capMs = 10_000): number {
  // 2^attempt overflows to Infinity for large attempts, which min() then caps.
  return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
}

/** Counts failed attempts and hands out the jittered delay before the next one. */
export class Backoff {
  private attempts = 0;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.baseMs = options.baseMs ?? 100;
    this.capMs = options.capMs ?? 10_000;
    this.random = options.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, in whole milliseconds; each call raises the ceiling until the cap. */
  next(): number {
    const ceiling = backoffCeiling(this.attempts, this.baseMs, this.capMs);
    this.attempts++;
    return Math.floor(this.random() * ceiling);
  }

  /** Starts again from the base (after a connection that worked). */
  reset(): void {
    this.attempts = 0;
  }
}

/** Resolves after `ms`, or early (without error) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
