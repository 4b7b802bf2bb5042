/** Retry delays for the chat's reconnects and resends: exponential with jitter, capped, abortable. */

/** Doubling delays from `initialMs` up to `maxMs`, each with up to 20% random jitter so clients do not retry in step. */
export function* backoffDelays(initialMs = 200, maxMs = 5000): Generator<number, never> {
  let delay = initialMs;
  for (;;) {
    yield Math.round(delay * (1 + Math.random() * 0.2));
    delay = Math.min(delay * 2, maxMs);
  }
}

/** Waits `ms`, or less when `signal` aborts (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
