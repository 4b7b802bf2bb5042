/**
 * The outbox: every event the daemon sends is first written here (one fsync'd file per daemon
 * seq) and removed only once the control plane has acknowledged it, so a crash between write
 * and acknowledgement means a resend, never a loss. Seqs are assigned here, consecutively and
 * in write order; the unacknowledged entries are also kept in memory for sending.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AttachRequest } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { Logger } from "../logger.js";
import { fsyncDirectory, SerialQueue, temporaryPrefix, writeFileAtomic } from "../state/durable-files.js";
import { damagedEntryStandIn, decodeEntry, encodeEntry, entryFileName, outboxRequest, seqOfFileName, type OutboxPayload } from "./outbox-entry.js";

/** Options for {@link Outbox.open}. */
export interface OutboxOptions {
  /** The highest seq known to have been assigned (from the state file); the outbox never assigns it again. */
  readonly floor: bigint;
  /**
   * Records the acknowledged and highest seqs durably (the state file); runs before acknowledged
   * entries are deleted and when the numbering jumps, so the highest seq is never forgotten.
   */
  readonly persistSeqs?: (acked: bigint, lastSeq: bigint) => Promise<void>;
  readonly log: Logger;
}

/** The durable queue of unacknowledged outgoing messages. */
export class Outbox {
  private readonly writes = new SerialQueue();
  private readonly removals = new SerialQueue();
  private readonly waiters = new Set<() => void>();
  private last: bigint;
  private acked: bigint;

  private constructor(
    private readonly directory: string,
    private readonly pending: Map<bigint, AttachRequest>,
    last: bigint,
    private readonly options: OutboxOptions,
  ) {
    this.last = last;
    this.acked = 0n;
  }

  /**
   * Loads the outbox: temporary files (writes a crash interrupted, never sent) are deleted, and
   * an entry whose content is damaged is replaced by a warning under the same seq.
   */
  static async open(directory: string, options: OutboxOptions): Promise<Outbox> {
    const pending = new Map<bigint, AttachRequest>();
    let last = options.floor;
    const names = (await readdir(directory)).sort();
    for (const name of names) {
      if (name.startsWith(temporaryPrefix)) {
        await rm(join(directory, name), { force: true });
        continue;
      }
      const seq = seqOfFileName(name);
      if (seq === undefined) continue;
      let request = decodeEntry(await readFile(join(directory, name)), seq);
      if (!request) {
        options.log.error({ seq: seq.toString() }, "outbox entry damaged; replacing it with a warning event");
        request = damagedEntryStandIn(seq);
        await writeFileAtomic(join(directory, name), encodeEntry(request));
      }
      pending.set(seq, request);
      if (seq > last) last = seq;
    }
    return new Outbox(directory, pending, last, options);
  }

  /** The highest seq written (assigned and durable). */
  get lastSeq(): bigint {
    return this.last;
  }

  /** The highest seq acknowledged in this process. */
  get ackedSeq(): bigint {
    return this.acked;
  }

  /** How many entries wait for acknowledgement. */
  get size(): number {
    return this.pending.size;
  }

  /** The unacknowledged entry with this seq. */
  get(seq: bigint): AttachRequest | undefined {
    return this.pending.get(seq);
  }

  /** The lowest unacknowledged seq, if any. */
  firstSeq(): bigint | undefined {
    let first: bigint | undefined;
    for (const seq of this.pending.keys()) if (first === undefined || seq < first) first = seq;
    return first;
  }

  /**
   * Assigns the next seq, runs `before` (for records that must precede the write, e.g. the
   * conversation log naming this seq), writes the entry durably and returns its seq. Appends are
   * serialised, so seqs are written strictly in order.
   */
  append(payload: OutboxPayload, before?: (seq: bigint) => Promise<void>): Promise<bigint> {
    return this.writes.run(async () => {
      const seq = this.last + 1n;
      if (before) await before(seq);
      const request = outboxRequest(seq, payload);
      await writeFileAtomic(join(this.directory, entryFileName(seq)), encodeEntry(request));
      this.last = seq;
      this.pending.set(seq, request);
      this.notify();
      return seq;
    });
  }

  /** Moves the next seq past `seq` (the control plane committed seqs this volume never wrote; reusing them would lose events). */
  advanceTo(seq: bigint): Promise<void> {
    return this.writes.run(async () => {
      if (seq <= this.last) return;
      this.last = seq;
      await this.options.persistSeqs?.(this.acked, seq);
    });
  }

  /** Removes every entry up to `upTo` (acknowledged or committed), after the `beforeRemove` hook; calls coalesce. */
  acknowledge(upTo: bigint): Promise<void> {
    if (upTo <= this.acked) return Promise.resolve();
    this.acked = upTo;
    return this.removals.run(async () => {
      const target = this.acked;
      const doomed = [...this.pending.keys()].filter((seq) => seq <= target);
      if (doomed.length === 0) return;
      await this.options.persistSeqs?.(target, this.last);
      for (const seq of doomed) {
        this.pending.delete(seq);
        // A deletion lost to a crash only means the entry is offered again and dropped by resend_from.
        await rm(join(this.directory, entryFileName(seq)), { force: true });
      }
      this.notify();
    });
  }

  /** Deletes every entry and restarts numbering after `floor` (a remix adopting a copied volume). */
  async reset(floor: bigint): Promise<void> {
    await this.writes.run(async () => {
      for (const seq of [...this.pending.keys()]) {
        await rm(join(this.directory, entryFileName(seq)), { force: true });
        this.pending.delete(seq);
      }
      await fsyncDirectory(this.directory);
      this.last = floor;
      this.acked = floor;
      this.notify();
    });
  }

  /** Resolves at the next append or removal, or when `signal` aborts. */
  changed(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = (): void => {
        this.waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
