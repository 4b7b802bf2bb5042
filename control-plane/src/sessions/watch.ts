/**
 * WatchSession's engine: replay a session's stored events after a cursor, then follow new ones.
 * The database is the only source: NOTIFY hints and a periodic poll only say "read again from
 * the last seq sent", so a lost hint delays an event and never loses or doubles it, on any
 * replica. Events are read a bounded page at a time and the next page is read only once the
 * previous one has been handed to the client, so a slow client never makes the server buffer.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { WatchSessionResponseSchema, type WatchSessionResponse } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import type { Orm } from "../store/orm.js";
import { channels, type Notifier } from "./notifier.js";
import { readEventPage } from "./session-api-events.js";

/** Tunables of a watch, with their defaults. */
export interface WatchOptions {
  /** Most events read per page (default 100). */
  readonly pageSize?: number;
  /** Most bytes of events read per page (default 1 MiB; a page holds at least one event). */
  readonly pageBytes?: number;
  /** Read again after this long even without a hint (default 1 s). */
  readonly pollMs?: number;
  /** Send a heartbeat after this long without an event (default 15 s). */
  readonly heartbeatMs?: number;
}

/** What a watch needs. */
export interface WatchDependencies {
  readonly orm: Orm;
  readonly notifier: Notifier;
  /** Aborted when the server stops: the watch ends UNAVAILABLE so the client resumes elsewhere. */
  readonly stopping?: AbortSignal;
}

/** A flag set by hints and a way to sleep until it is set, a timeout passes, or the watch ends. */
class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  /** Records a hint and wakes a sleeper. */
  notify(): void {
    this.pending = true;
    this.wake?.();
  }

  /** Forgets hints seen so far; call before reading, so a hint arriving during the read is kept. */
  clear(): void {
    this.pending = false;
  }

  /** Sleeps unless a hint arrived since the last clear. */
  async sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.pending || signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}

async function sessionState(orm: Orm, sessionId: string): Promise<{ state: string; lastEventSeq: bigint }> {
  const [row] = await orm.em.fork().execute<{ state: string; last_event_seq: string }[]>(`select state, last_event_seq from sessions where id = ?`, [sessionId]);
  if (!row) throw new ConnectError("the session no longer exists", Code.NotFound);
  return { state: row.state, lastEventSeq: BigInt(row.last_event_seq) };
}

/**
 * Yields the session's events with seq > fromSeq in order, each exactly once, then follows new
 * ones, with a heartbeat after each quiet spell. Returns once the session is TERMINATED and
 * every event has been yielded, or when `signal` (the client leaving) aborts.
 */
export async function* watchSessionEvents(
  deps: WatchDependencies,
  sessionId: string,
  fromSeq: bigint,
  signal: AbortSignal,
  options: WatchOptions = {},
): AsyncGenerator<WatchSessionResponse> {
  const pageSize = options.pageSize ?? 100;
  const pageBytes = options.pageBytes ?? 1024 * 1024;
  const pollMs = options.pollMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const ended = deps.stopping ? AbortSignal.any([signal, deps.stopping]) : signal;
  const wakeup = new Wakeup();
  const unsubscribe = deps.notifier.subscribe(channels.events, (id) => {
    if (id === sessionId || id === "*") wakeup.notify();
  });
  try {
    let last = fromSeq;
    let lastSentAt = Date.now();
    while (!ended.aborted) {
      wakeup.clear();
      const page = await readEventPage(deps.orm.em.fork(), sessionId, last, { limit: pageSize, maxBytes: pageBytes });
      for (const event of page.events) {
        yield create(WatchSessionResponseSchema, { message: { case: "event", value: event } });
        last = event.seq;
        lastSentAt = Date.now();
      }
      if (page.hasMore) continue;
      // Read after the page: a session TERMINATED now has stored its last event already.
      const now = await sessionState(deps.orm, sessionId);
      if (now.lastEventSeq > last) continue;
      if (now.state === "terminated") return;
      const quiet = Date.now() - lastSentAt;
      if (quiet >= heartbeatMs) {
        yield create(WatchSessionResponseSchema, {
          message: { case: "heartbeat", value: { time: timestampFromDate(new Date()), lastEventSeq: now.lastEventSeq } },
        });
        lastSentAt = Date.now();
      }
      await wakeup.sleep(Math.min(pollMs, Math.max(1, heartbeatMs - (Date.now() - lastSentAt))), ended);
    }
    if (!signal.aborted) throw new ConnectError(`the server is shutting down; watch again from seq ${last}`, Code.Unavailable);
  } finally {
    unsubscribe();
  }
}
