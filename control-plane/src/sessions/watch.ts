/**
 * WatchSession's engine: replay a session's stored events after a cursor, then follow new ones.
 * The database is the source of truth: NOTIFY hints and a periodic poll say "read again from
 * the last seq sent", so a lost hint delays an event and never loses or doubles it, on any
 * replica. Events are read a bounded page at a time and the next page is read only once the
 * previous one has been handed to the client, so a slow client never makes the server buffer.
 *
 * A watch on the replica a daemon is attached to is also handed each batch of events as it is
 * committed (see Notifier.publishStored) and sends it without reading it back, as long as it
 * continues exactly from the last seq sent; anything else (a gap, events stored elsewhere, more
 * than a page held for a slow client) falls back to reading the database. Each seq is sent
 * only when it is the one after the last sent, so both paths together stay gapless and
 * exactly-once.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { WatchSessionResponseSchema, type WatchSessionResponse } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import type { Orm } from "../store/orm.js";
import { channels, type Notifier, type StoredEvent } from "./notifier.js";
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
  readonly notifier: Pick<Notifier, "subscribe"> & Partial<Pick<Notifier, "subscribeStored">>;
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

  /** Sleeps unless a hint arrived since the last clear; resolves true when woken by a hint or the end, false on timeout. */
  async sleep(ms: number, signal: AbortSignal): Promise<boolean> {
    if (this.pending || signal.aborted) return true;
    return new Promise<boolean>((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.wake = undefined;
        resolve(woken);
      };
      const onAbort = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake = () => done(true);
    });
  }
}

/**
 * Batches committed by this process, held for the watch until it sends them; bounded by the
 * page limits, past which it forgets them and the watch reads the database instead.
 */
class StoredFeed {
  private events: StoredEvent[] = [];
  private bytes = 0;
  /** Something was dropped: the database must be read. */
  overflowed = false;

  constructor(
    private readonly maxEvents: number,
    private readonly maxBytes: number,
  ) {}

  /** Holds a committed batch, or forgets everything held once the bounds are passed. */
  add(batch: readonly StoredEvent[]): void {
    if (this.overflowed) return;
    for (const stored of batch) {
      this.events.push(stored);
      this.bytes += stored.bytes;
    }
    if (this.events.length > this.maxEvents || this.bytes > this.maxBytes) {
      this.events = [];
      this.bytes = 0;
      this.overflowed = true;
    }
  }

  /** Takes the held events that continue from `last` without a gap; drops those already sent. */
  takeAfter(last: bigint): { events: SessionEvent[]; gap: boolean } {
    const events: SessionEvent[] = [];
    let next = last + 1n;
    let index = 0;
    for (; index < this.events.length; index++) {
      const { event } = this.events[index]!;
      if (event.seq < next) continue;
      if (event.seq > next) break;
      events.push(event);
      next++;
    }
    const gap = index < this.events.length;
    this.events = gap ? this.events.slice(index) : [];
    this.bytes = this.events.reduce((sum, stored) => sum + stored.bytes, 0);
    return { events, gap };
  }

  /** The database was read up to date: forget the overflow. */
  resume(): void {
    this.overflowed = false;
  }
}

async function sessionState(orm: Orm, sessionId: string): Promise<{ state: string; lastEventSeq: bigint }> {
  const [row] = await orm.em.fork().execute<{ state: string; last_event_seq: string }[]>(`select state, last_event_seq from sessions where id = ?`, [sessionId]);
  if (!row) throw new ConnectError("the session no longer exists", Code.NotFound);
  return { state: row.state, lastEventSeq: BigInt(row.last_event_seq) };
}

/** Whether a watch must check the database after sending this event (the session may have ended). */
function endsSession(event: SessionEvent): boolean {
  return event.payload.case === "stateChanged" && event.payload.value.to === SessionState.TERMINATED;
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
  const feed = new StoredFeed(pageSize, pageBytes);
  let last = fromSeq;
  /** The database may hold events not sent yet: read it on the next pass. */
  let readWanted = true;
  const unsubscribe = deps.notifier.subscribe(channels.events, (id, lastSeq) => {
    if (id !== sessionId && id !== "*") return;
    // A hint for events already sent (handed over by this process's commit) needs no read.
    if (lastSeq === undefined || lastSeq > last) readWanted = true;
    wakeup.notify();
  });
  const unsubscribeStored = deps.notifier.subscribeStored?.(sessionId, (batch) => {
    feed.add(batch);
    wakeup.notify();
  });
  try {
    let lastSentAt = Date.now();
    while (!ended.aborted) {
      wakeup.clear();
      if (!feed.overflowed) {
        const held = feed.takeAfter(last);
        for (const event of held.events) {
          yield create(WatchSessionResponseSchema, { message: { case: "event", value: event } });
          last = event.seq;
          lastSentAt = Date.now();
        }
        if (held.gap || held.events.some(endsSession)) readWanted = true;
      }
      if (!readWanted && !feed.overflowed) {
        // Nothing known to be unsent: wait for a hint or a batch; a quiet spell ends in a read (lost hints, heartbeats).
        if (!(await wakeup.sleep(Math.min(pollMs, Math.max(1, heartbeatMs - (Date.now() - lastSentAt))), ended))) readWanted = true;
        continue;
      }
      readWanted = false;
      const overflowed = feed.overflowed;
      const page = await readEventPage(deps.orm.em.fork(), sessionId, last, { limit: pageSize, maxBytes: pageBytes });
      for (const event of page.events) {
        yield create(WatchSessionResponseSchema, { message: { case: "event", value: event } });
        last = event.seq;
        lastSentAt = Date.now();
      }
      if (page.hasMore) {
        readWanted = true;
        continue;
      }
      // Read after the page: a session TERMINATED now has stored its last event already.
      const now = await sessionState(deps.orm, sessionId);
      if (now.lastEventSeq > last) {
        readWanted = true;
        continue;
      }
      // Up to date with the database as of this read: batches held from now on can be sent as they come.
      if (overflowed) feed.resume();
      if (now.state === "terminated") return;
      const quiet = Date.now() - lastSentAt;
      if (quiet >= heartbeatMs) {
        yield create(WatchSessionResponseSchema, {
          message: { case: "heartbeat", value: { time: timestampFromDate(new Date()), lastEventSeq: now.lastEventSeq } },
        });
        lastSentAt = Date.now();
      }
      if (!(await wakeup.sleep(Math.min(pollMs, Math.max(1, heartbeatMs - (Date.now() - lastSentAt))), ended))) readWanted = true;
    }
    if (!signal.aborted) throw new ConnectError(`the server is shutting down; watch again from seq ${last}`, Code.Unavailable);
  } finally {
    unsubscribe();
    unsubscribeStored?.();
  }
}
