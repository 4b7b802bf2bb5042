/** A single-consumer queue of messages to send on a stream, which ends cleanly or with an error. */

/** Messages waiting to be written, consumed by one `for await`; `close` ends it. */
export class OutboundQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private ended: { error?: unknown } | undefined;

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.ended !== undefined;
  }

  /** Queues a message; ignored once closed. */
  push(item: T): void {
    if (this.ended) return;
    this.items.push(item);
    this.wake();
  }

  /** Ends the queue: the consumer gets what is queued, then ends (or throws `error`); only the first call counts. */
  close(error?: unknown): void {
    if (this.ended) return;
    // An error ends the stream at once: what is still queued would only delay it.
    if (error !== undefined) this.items.length = 0;
    this.ended = error === undefined ? {} : { error };
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.ended) {
        if ("error" in this.ended) throw this.ended.error;
        return;
      }
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}
