/**
 * The chat's watch of its session: follows WatchSession from the last seq it has shown, and
 * when the stream breaks (a control-plane restart, a network cut) retries with backoff and
 * resumes from that seq, so nothing is missed and nothing is shown twice.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { backoffDelays, sleep } from "./backoff.js";

/** Options of {@link followSession}. */
export interface FollowSessionOptions {
  /** Called once when the stream breaks and a retry begins. */
  readonly onBreak?: (error: ConnectError) => void;
  /** Called when a resumed stream delivers its first message. */
  readonly onResume?: () => void;
  /** How long to keep retrying a broken watch before giving up (default 5 minutes). */
  readonly giveUpAfterMs?: number;
  /** First retry delay, doubled up to 5 s (default 200 ms). */
  readonly initialDelayMs?: number;
}

// Errors a retry cannot fix: the caller has to act (log in, fix the name, get access).
const fatal = new Set([Code.Unauthenticated, Code.PermissionDenied, Code.NotFound, Code.InvalidArgument, Code.FailedPrecondition]);

/**
 * Calls `handle` for each event after `fromSeq`, in order and once each, until the session is
 * TERMINATED (resolves), `signal` aborts (resolves), or an error a retry cannot fix (rejects).
 */
export async function followSession(
  conn: Connection,
  ref: ObjectRefText,
  fromSeq: bigint,
  handle: (event: SessionEvent) => void,
  signal: AbortSignal,
  options: FollowSessionOptions = {},
): Promise<void> {
  const client = createClient(SessionService, conn.transport);
  let last = fromSeq;
  let delays = backoffDelays(options.initialDelayMs ?? 200);
  let brokenSince: number | undefined;
  while (!signal.aborted) {
    try {
      for await (const res of client.watchSession({ ref, fromSeq: last }, { signal })) {
        if (brokenSince !== undefined) {
          brokenSince = undefined;
          delays = backoffDelays(options.initialDelayMs ?? 200);
          options.onResume?.();
        }
        if (res.message.case !== "event") continue;
        const event = res.message.value;
        if (event.seq <= last) continue; // never show an event twice, whatever a server sends
        last = event.seq;
        handle(event);
      }
      return;
    } catch (error) {
      if (signal.aborted) return;
      const failure = ConnectError.from(error);
      if (fatal.has(failure.code)) throw failure;
      if (brokenSince === undefined) {
        brokenSince = Date.now();
        options.onBreak?.(failure);
      } else if (Date.now() - brokenSince > (options.giveUpAfterMs ?? 300_000)) throw failure;
      await sleep(delays.next().value, signal).catch(() => undefined);
    }
  }
}
