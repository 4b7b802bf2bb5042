/**
 * Output caps: a tool's text is cut at a byte limit on a UTF-8 boundary, with a marker that
 * says how much was dropped, so the model knows it saw only part.
 */

/** Text cut to at most `maxBytes` UTF-8 bytes (plus a marker), and whether it was cut. */
export function capText(text: string, maxBytes: number): { output: string; truncated: boolean } {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= maxBytes) return { output: text, truncated: false };
  return { output: capBuffer(bytes, maxBytes, bytes.length), truncated: true };
}

/** The first `maxBytes` of `head` as text, marked as cut from `totalBytes`. */
export function capBuffer(head: Buffer, maxBytes: number, totalBytes: number): string {
  let end = Math.min(maxBytes, head.length);
  // Back up over UTF-8 continuation bytes so a character is never split.
  while (end > 0 && end < head.length && ((head[end] ?? 0) & 0xc0) === 0x80) end--;
  return `${head.subarray(0, end).toString("utf8")}\n[output truncated: ${totalBytes - end} of ${totalBytes} bytes not shown]`;
}

/** Collects a stream's chunks up to a cap, counting what it drops. */
export class CappedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a chunk, keeping only what fits under the cap. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.maxBytes - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  /** Whether bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.kept;
  }

  /** The kept text, with a marker when bytes were dropped. */
  text(): string {
    const head = Buffer.concat(this.chunks);
    return this.truncated ? capBuffer(head, this.maxBytes, this.total) : head.toString("utf8");
  }
}
