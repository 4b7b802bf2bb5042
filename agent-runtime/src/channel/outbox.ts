/**
 * The outbox: every event the daemon sends is first written here and removed only once the
 * control plane has acknowledged it, so a crash between write and acknowledgement means a
 * resend, never a loss. Seqs are assigned here, consecutively and in write order. Entries are
 * written by group commit: whatever was staged while the previous write ran goes into one
 * fsync'd file, so a fast producer pays one fsync per batch instead of one per event. Only
 * durable entries are kept in memory for sending, so nothing is sent before it is on disk.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { AttachRequest } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import { fsyncDirectory, SerialQueue, temporaryPrefix, writeFileAtomic } from "../state/durable-files.js";
import type { WriteGuard } from "../state/volume-reserve.js";
import { damagedEntryStandIn, decodeEntries, encodeEntries, entryFileName, outboxRequest, seqsOfFileName, type OutboxPayload } from "./outbox-entry.js";

/** Options for {@link Outbox.open}. */
export interface OutboxOptions {
  /** The highest seq known to have been assigned (from the state file); the outbox never assigns it again. */
  readonly floor: bigint;
  /**
   * Records the acknowledged and highest seqs durably (the state file); runs before acknowledged
   * entries are deleted and when the numbering jumps, so the highest seq is never forgotten.
   */
  readonly persistSeqs?: (acked: bigint, lastSeq: bigint) => Promise<void>;
  /** Wraps each entry write (the volume reserve: a write that fails for space is retried once with the reserve's space). */
  readonly guard?: WriteGuard;
  readonly log: Logger;
}

interface DurableWaiter {
  readonly seq: bigint;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** The durable queue of unacknowledged outgoing messages. */
export class Outbox {
  private readonly writes = new SerialQueue();
  private readonly removals = new SerialQueue();
  private readonly waiters = new Set<() => void>();
  /** Entries with a seq, not yet written. */
  private staged: AttachRequest[] = [];
  /** How many entries the running group commit is writing. */
  private inFlight = 0;
  private committing = false;
  private durableWaiters: DurableWaiter[] = [];
  /** A group commit failed and no caller has been told yet. */
  private failure: { readonly error: unknown } | undefined;
  /** The highest seq durable. */
  private last: bigint;
  /** The highest seq assigned (durable or staged). */
  private assigned: bigint;
  private acked: bigint;

  private constructor(
    private readonly directory: string,
    private readonly pending: Map<bigint, AttachRequest>,
    /** Entry files on disk: name → the last seq the file holds. */
    private readonly files: Map<string, bigint>,
    last: bigint,
    private readonly options: OutboxOptions,
  ) {
    this.last = last;
    this.assigned = last;
    this.acked = 0n;
  }

  /**
   * Loads the outbox: temporary files (writes a crash interrupted, never sent) are deleted, and
   * a file whose content is damaged is replaced by warnings under the same seqs.
   */
  static async open(directory: string, options: OutboxOptions): Promise<Outbox> {
    const pending = new Map<bigint, AttachRequest>();
    const files = new Map<string, bigint>();
    let last = options.floor;
    const names = (await readdir(directory)).sort();
    for (const name of names) {
      if (name.startsWith(temporaryPrefix)) {
        await rm(join(directory, name), { force: true });
        continue;
      }
      const seqs = seqsOfFileName(name);
      if (seqs === undefined) continue;
      let requests = decodeEntries(await readFile(join(directory, name)), seqs.first, seqs.last);
      if (!requests) {
        options.log.error({ first: seqs.first.toString(), last: seqs.last.toString() }, "outbox entry damaged; replacing it with a warning event");
        requests = [];
        for (let seq = seqs.first; seq <= seqs.last; seq++) requests.push(damagedEntryStandIn(seq));
        await writeFileAtomic(join(directory, name), encodeEntries(requests));
      }
      for (const request of requests) pending.set(request.seq, request);
      files.set(name, seqs.last);
      if (seqs.last > last) last = seqs.last;
    }
    return new Outbox(directory, pending, files, last, options);
  }

  /** The highest seq written (assigned and durable). */
  get lastSeq(): bigint {
    return this.last;
  }

  /** The highest seq acknowledged in this process. */
  get ackedSeq(): bigint {
    return this.acked;
  }

  /** How many entries wait for acknowledgement (staged, being written or written). */
  get size(): number {
    return this.pending.size + this.inFlight + this.staged.length;
  }

  /** The unacknowledged durable entry with this seq. */
  get(seq: bigint): AttachRequest | undefined {
    return this.pending.get(seq);
  }

  /** The lowest unacknowledged durable seq, if any. */
  firstSeq(): bigint | undefined {
    let first: bigint | undefined;
    for (const seq of this.pending.keys()) if (first === undefined || seq < first) first = seq;
    return first;
  }

  /**
   * Assigns the next seq, runs `before` (for records that must precede the write, e.g. the
   * conversation log naming this seq; it runs once every earlier entry is durable), writes the
   * entry durably and returns its seq. Seqs are written strictly in order.
   */
  async append(payload: OutboxPayload, before?: (seq: bigint) => Promise<void>): Promise<bigint> {
    const seq = await this.stage(payload, before);
    await this.durableUpTo(seq);
    return seq;
  }

  /**
   * Like {@link append}, but resolves once the seq is assigned: the entry is written by the next
   * group commit (and only then sent). If that write fails, the entry is dropped with every
   * later one, numbering resumes after the last durable seq, and the next call rejects.
   */
  stage(payload: OutboxPayload, before?: (seq: bigint) => Promise<void>): Promise<bigint> {
    return this.writes.run(async () => {
      this.throwFailure();
      const seq = this.assigned + 1n;
      if (before) {
        await this.durableUpTo(this.assigned);
        await before(seq);
        this.throwFailure();
      }
      this.assigned = seq;
      this.staged.push(outboxRequest(seq, payload));
      this.startCommit();
      return seq;
    });
  }

  /** Resolves once every entry staged so far is durable; rejects if a write it waits for fails. */
  flush(): Promise<void> {
    return this.durableUpTo(this.assigned);
  }

  /** Moves the next seq past `seq` (the control plane committed seqs this volume never wrote; reusing them would lose events). */
  advanceTo(seq: bigint): Promise<void> {
    return this.writes.run(async () => {
      await this.durableUpTo(this.assigned);
      if (seq <= this.last) return;
      this.last = seq;
      this.assigned = seq;
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
      const doomedFiles = [...this.files].filter(([, last]) => last <= target).map(([name]) => name);
      if (doomed.length === 0 && doomedFiles.length === 0) return;
      await this.options.persistSeqs?.(target, this.last);
      for (const seq of doomed) this.pending.delete(seq);
      for (const name of doomedFiles) {
        this.files.delete(name);
        // A deletion lost to a crash only means the entries are offered again and dropped by resend_from.
        await rm(join(this.directory, name), { force: true });
      }
      this.notify();
    });
  }

  /** Deletes every entry and restarts numbering after `floor` (a remix adopting a copied volume). */
  async reset(floor: bigint): Promise<void> {
    await this.writes.run(async () => {
      await this.durableUpTo(this.assigned).catch(() => undefined);
      this.failure = undefined;
      for (const name of [...this.files.keys()]) {
        await rm(join(this.directory, name), { force: true });
        this.files.delete(name);
      }
      this.pending.clear();
      await fsyncDirectory(this.directory);
      this.last = floor;
      this.assigned = floor;
      this.acked = floor;
      this.notify();
    });
  }

  /** Resolves at the next durable write or removal, or when `signal` aborts. */
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

  private throwFailure(): void {
    const failure = this.failure;
    if (!failure) return;
    this.failure = undefined;
    throw failure.error;
  }

  /** Resolves once every seq up to `seq` is durable; rejects if a write it waits for fails. */
  private durableUpTo(seq: bigint): Promise<void> {
    if (seq <= this.last) return Promise.resolve();
    return new Promise((resolve, reject) => this.durableWaiters.push({ seq, resolve, reject }));
  }

  private startCommit(): void {
    if (this.committing) return;
    this.committing = true;
    void this.commitLoop();
  }

  /** Writes what is staged, one file and one fsync per batch, until nothing is left. */
  private async commitLoop(): Promise<void> {
    try {
      while (this.staged.length > 0) {
        const batch = this.staged;
        this.staged = [];
        this.inFlight = batch.length;
        const first = batch[0]!.seq;
        const last = batch[batch.length - 1]!.seq;
        const name = entryFileName(first, last);
        try {
          const write = () => writeFileAtomic(join(this.directory, name), encodeEntries(batch));
          await (this.options.guard ? this.options.guard(write) : write());
        } catch (error) {
          this.inFlight = 0;
          this.fail(error);
          return;
        }
        this.inFlight = 0;
        for (const request of batch) this.pending.set(request.seq, request);
        this.files.set(name, last);
        this.last = last;
        this.settle();
        this.notify();
      }
    } finally {
      this.committing = false;
    }
  }

  private settle(): void {
    const waiting = this.durableWaiters;
    this.durableWaiters = [];
    for (const waiter of waiting) {
      if (waiter.seq <= this.last) waiter.resolve();
      else this.durableWaiters.push(waiter);
    }
  }

  /** A group commit failed: its entries and every staged one are dropped and numbering resumes after the last durable seq. */
  private fail(error: unknown): void {
    this.options.log.error({ err: describeError(error), dropped: (this.assigned - this.last).toString() }, "cannot write outbox entries");
    this.staged = [];
    this.assigned = this.last;
    const waiting = this.durableWaiters;
    this.durableWaiters = [];
    for (const waiter of waiting) waiter.reject(error);
    // Someone must hear of the loss: a caller waiting now, or else the next one to stage.
    if (waiting.length === 0) this.failure = { error };
    this.notify();
  }
}
