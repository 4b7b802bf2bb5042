/**
 * Follows a session's events like `raworc chat`: stored events first, in pages of a thousand
 * (one round trip each, one render each), then WatchSession from the last seq seen; when the
 * stream breaks (a server restart, a network blip) it starts again from there after a backoff,
 * so the page misses nothing and shows nothing twice. Live events are handed over once per frame.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { api } from "../api.js";

/** What the follower reports. */
export interface FollowHandlers {
  /** A batch of new events, in seq order. */
  onEvents(events: SessionEvent[]): void;
  /** Whether the stream is up; `retryInMs` when waiting to reconnect. */
  onConnection(state: { connected: boolean; retryInMs?: number; error?: string }): void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Follows until `signal` aborts or the session is terminated (the stream ends OK). */
export async function followSession(ref: { namespace: string; name: string }, fromSeq: bigint, handlers: FollowHandlers, signal: AbortSignal): Promise<void> {
  let seq = fromSeq;
  let failures = 0;
  let pending: SessionEvent[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length > 0 && !signal.aborted) handlers.onEvents(batch);
  };
  while (!signal.aborted) {
    try {
      for (;;) {
        const page = await api.sessions.listEvents({ ref, fromSeq: seq, limit: 1000 }, { signal });
        const last = page.events.at(-1);
        if (last) {
          seq = last.seq;
          handlers.onEvents(page.events);
        }
        if (!page.hasMore) break;
      }
      // Caught up with what is stored: the page is live from here (the watch may stay quiet for a while).
      handlers.onConnection({ connected: true });
      failures = 0;
      for await (const res of api.sessions.watchSession({ ref, fromSeq: seq }, { signal })) {
        if (res.message.case !== "event") continue;
        seq = res.message.value.seq;
        pending.push(res.message.value);
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(flush);
        }
      }
      flush();
      return; // ended OK: the session is terminated
    } catch (error) {
      flush();
      if (signal.aborted) return;
      const e = ConnectError.from(error);
      // Refusals will not heal by retrying; a broken connection will.
      if ([Code.NotFound, Code.PermissionDenied, Code.Unauthenticated, Code.InvalidArgument].includes(e.code)) {
        handlers.onConnection({ connected: false, error: e.rawMessage });
        return;
      }
      const retryInMs = Math.min(250 * 2 ** failures, 5000);
      failures++;
      handlers.onConnection({ connected: false, retryInMs, error: e.rawMessage });
      await sleep(retryInMs, signal);
    }
  }
}
