/**
 * Follows a session's event log through the public WatchSession API for end-to-end tests, as a
 * user's watcher would: from seq 0, resuming from the last seq seen whenever the stream breaks
 * (a control-plane restart), and recording every event so a test can check that each one was
 * seen exactly once, in order, without a gap.
 */
import type { Client } from "@connectrpc/connect";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";

/** A background watcher of one session. */
export class SessionFollower {
  /** Every event received, in the order received. */
  readonly events: SessionEvent[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly client: () => Client<typeof SessionService>,
    private readonly ref: { readonly namespace: string; readonly name: string },
  ) {
    this.done = this.follow();
  }

  /** The seqs received, which are 1, 2, 3, ... exactly when nothing was missed or doubled. */
  get seqs(): bigint[] {
    return this.events.map((event) => event.seq);
  }

  /** The events of one turn. */
  turn(turn: number): SessionEvent[] {
    return this.events.filter((event) => event.turn === turn);
  }

  /** The reply text streamed in one turn. */
  reply(turn: number): string {
    return this.turn(turn)
      .flatMap((event) => (event.payload.case === "textDelta" ? [event.payload.value.text] : []))
      .join("");
  }

  /** Resolves with the first event matching `predicate`, polling what was received; fails after `ms`. */
  async waitFor(what: string, predicate: (event: SessionEvent) => boolean, ms = 30_000): Promise<SessionEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`${what} not seen within ${ms} ms; saw ${this.events.map((e) => `${e.turn}:${e.payload.case}`).join(" ")}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }

  private async follow(): Promise<void> {
    while (!this.abort.signal.aborted) {
      const fromSeq = this.events.at(-1)?.seq ?? 0n;
      try {
        for await (const response of this.client().watchSession({ ref: this.ref, fromSeq }, { signal: this.abort.signal })) {
          if (response.message.case === "event") this.events.push(response.message.value);
        }
      } catch {
        // The stream broke (a restart, or stop()): follow again from the last seq seen.
      }
      if (!this.abort.signal.aborted) await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
