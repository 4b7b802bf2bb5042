/**
 * Exactly-once application of work items. Each item's control seq must be the next one: a seq
 * already applied is a resend (acknowledged again, not applied again), a seq that skips ahead
 * is a protocol breach. An item is applied, its seq recorded durably, and only then is it
 * acknowledged; in-memory effects (cancelling a turn) run after the record, so a crash can
 * never apply an item twice.
 */
import { ProtocolError } from "../errors.js";
import { SerialQueue } from "../state/durable-files.js";

/** What an application did: its durable part has run; `effect`, if any, runs once the seq is recorded. */
export type Application = void | { readonly effect: () => void };

/** What became of a received work item. */
export type WorkOutcome = "applied" | "duplicate";

/** Options for {@link WorkLedger}. */
export interface WorkLedgerOptions {
  /** The highest control seq applied so far (from the volume). */
  readonly lastApplied: bigint;
  /** Records durably that `seq` was applied; resolves once it is on disk. */
  readonly record: (seq: bigint) => Promise<void>;
}

/** Tracks the control seqs applied and applies each work item at most once, in order. */
export class WorkLedger {
  private applied: bigint;
  private readonly queue = new SerialQueue();

  constructor(private readonly options: WorkLedgerOptions) {
    this.applied = options.lastApplied;
  }

  /** The highest control seq applied and recorded: what the daemon acknowledges. */
  get lastApplied(): bigint {
    return this.applied;
  }

  /**
   * Applies the work item with `seq` unless it was applied before. `apply` does the durable part
   * (e.g. appending the user message to the conversation log) and may return an in-memory effect.
   */
  receive(seq: bigint, apply: () => Promise<Application>): Promise<WorkOutcome> {
    return this.queue.run(async () => {
      if (seq === 0n) throw new ProtocolError("a work item arrived without a seq");
      if (seq <= this.applied) return "duplicate";
      if (seq !== this.applied + 1n) {
        throw new ProtocolError(`work item seq ${seq} skips ahead of the last applied seq ${this.applied}`);
      }
      const application = await apply();
      await this.options.record(seq);
      this.applied = seq;
      if (application) application.effect();
      return "applied";
    });
  }
}
