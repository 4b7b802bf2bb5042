/**
 * Several sessions busy at once, each followed by its own resuming watcher, so a fault strikes
 * a working system rather than one idle session; and the end-of-test check that nothing any of
 * them acknowledged was lost or doubled: each watcher saw its stored log exactly once, gapless,
 * and the daemon seqs stored are exactly 1..the daemon's own last seq, all acknowledged.
 */
import assert from "node:assert/strict";
import { SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { assertSawLogExactlyOnce, eventually, isDelta, listAllEvents, ref, Watcher } from "../fault-support.js";
import { daemonCount, storedDaemonSeqs } from "./daemon-count.js";
import { STREAMER, type FaultPlane } from "./faults-plane.js";

/** One busy session of a fleet. */
export interface FleetSession {
  /** Its name in the default namespace. */
  readonly name: string;
  /** Its uid (the process runtime's directory name). */
  readonly id: string;
  /** Its watcher, from seq 0. */
  readonly watcher: Watcher;
}

/** A number of sessions of the streaming agent, all READY and watched. */
export class Fleet {
  private constructor(
    private readonly plane: FaultPlane,
    /** The sessions. */
    readonly members: readonly FleetSession[],
  ) {}

  /** Creates `count` sessions named `<prefix>-<i>` and waits until every one is READY. */
  static async start(plane: FaultPlane, prefix: string, count: number, agent = STREAMER): Promise<Fleet> {
    const members = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const name = `${prefix}-${i}`;
        const { session } = await plane.sessions.createSession({ session: { metadata: ref(name), spec: { agents: [agent] } } });
        return { name, id: session!.metadata!.uid, watcher: new Watcher(() => plane.sessions, name) };
      }),
    );
    const fleet = new Fleet(plane, members);
    await fleet.allReady();
    return fleet;
  }

  /** Waits until every session is READY. */
  async allReady(ms = 60_000): Promise<void> {
    await Promise.all(this.members.map((m) => eventually(`${m.name} READY`, () => this.plane.sessions.getSession({ ref: ref(m.name) }), (r) => r.session?.status?.state === SessionState.READY, ms)));
  }

  /** Sends `text` to every session and waits until each streams a few deltas of `turn`: all are mid-reply. */
  async talk(turn: number, text: string): Promise<void> {
    await Promise.all(this.members.map((m) => this.plane.sessions.sendMessage({ ref: ref(m.name), text })));
    await Promise.all(this.members.map((m) => m.watcher.waitForCount(`${m.name}: a few deltas of turn ${turn}`, isDelta(turn), 3)));
  }

  /** Waits until every session's `turn` has ended the way `ended` accepts (default: completed). */
  async turnEnded(turn: number, ms = 60_000, ended: (e: SessionEvent) => boolean = (e) => e.payload.case === "turnCompleted"): Promise<void> {
    await Promise.all(this.members.map((m) => m.watcher.waitFor(`${m.name}: turn ${turn} ended`, (e) => e.turn === turn && ended(e), ms)));
  }

  /** Stops every watcher. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.watcher.stop()));
  }

  /**
   * Stops the watchers and asserts nothing was lost or doubled, per session: the watcher saw the
   * stored log exactly once, and the stored daemon seqs are 1..lastDaemonSeq, all acknowledged.
   * Returns each session's stored log for the test's own assertions.
   */
  async assertNothingLost(): Promise<Map<string, SessionEvent[]>> {
    // The daemons' last acks may still be on their way when the last event reached a watcher.
    for (const m of this.members) {
      await eventually(`${m.name}: the daemon saw its events acknowledged`, () => daemonCount(this.plane.dataDir, m.id), (c) => c.lastAckedDaemonSeq === c.lastDaemonSeq);
      await eventually(`${m.name}: the watcher caught up with the stored log`, () => listAllEvents(this.plane.sessions, m.name), (stored) => stored.at(-1)?.seq === m.watcher.lastSeq);
    }
    await this.stop();
    const daemonSeqs = await storedDaemonSeqs(this.plane.databaseUrl, this.members.map((m) => m.id));
    const logs = new Map<string, SessionEvent[]>();
    for (const m of this.members) {
      const stored = await listAllEvents(this.plane.sessions, m.name);
      assertSawLogExactlyOnce(m.watcher, stored);
      const own = await daemonCount(this.plane.dataDir, m.id);
      assert.ok(own.lastDaemonSeq > 0, `${m.name}: the daemon produced events`);
      assert.deepEqual(daemonSeqs.get(m.id), Array.from({ length: own.lastDaemonSeq }, (_, k) => k + 1), `${m.name}: stored daemon seqs are exactly 1..${own.lastDaemonSeq}, the daemon's own count`);
      logs.set(m.name, stored);
    }
    return logs;
  }
}
