/**
 * A push-driven async iterable: the request side of the attach stream. Producers push
 * messages; the transport pulls them in order; closing ends the iteration once it has drained.
 */

/** An unbounded FIFO that an async consumer iterates. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  /** Adds an item; ignored after close. */
  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.signal();
  }

  /** Ends the iteration after the items already pushed. */
  close(): void {
    this.closed = true;
    this.signal();
  }

  /** Whether close was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = this.items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
