/**
 * Following a session's events from a cursor, as `sessions watch` and `sessions send` do: a
 * watch that breaks because a server went away is resumed from the last seq seen, so nothing is
 * missed or shown twice.
 */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { UsageError } from "../errors.js";
import type { Connection, ObjectRefText } from "./kind.js";

/** Options of {@link followEvents}. */
export interface FollowOptions {
  /** How long to keep trying to resume a broken watch (default 30 s). */
  readonly resumeForMs?: number;
  /** Delay before the first resume attempt, doubled up to 2 s (default 200 ms). */
  readonly resumeDelayMs?: number;
}

/** How a follow ended: the handler said stop, or the session is TERMINATED and everything was shown. */
export type FollowEnd = "stopped" | "terminated";

// A server going away (restart, another replica) shows as UNAVAILABLE, or UNKNOWN when a connection breaks mid-stream.
const resumable = (error: unknown) => error instanceof ConnectError && (error.code === Code.Unavailable || error.code === Code.Unknown);

/**
 * Calls `handle` for each event with seq > fromSeq, in order, once each, until it returns true,
 * the session is TERMINATED, or the connection's signal aborts (an AbortError is thrown).
 */
export async function followEvents(
  conn: Connection,
  ref: ObjectRefText,
  fromSeq: bigint,
  handle: (event: SessionEvent) => boolean | void,
  options: FollowOptions = {},
): Promise<FollowEnd> {
  const client = createClient(SessionService, conn.transport);
  let last = fromSeq;
  let delay = options.resumeDelayMs ?? 200;
  let brokenSince: number | undefined;
  for (;;) {
    try {
      for await (const res of client.watchSession({ ref, fromSeq: last }, { signal: conn.signal })) {
        brokenSince = undefined;
        if (res.message.case !== "event") continue;
        const event = res.message.value;
        if (event.seq <= last) continue; // never show an event twice, whatever a server sends
        last = event.seq;
        if (handle(event) === true) return "stopped";
      }
      return "terminated";
    } catch (error) {
      if (conn.signal?.aborted || !resumable(error)) throw error;
      brokenSince ??= Date.now();
      if (Date.now() - brokenSince > (options.resumeForMs ?? 30_000)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 2000);
    }
  }
}

/** How the turn answering a message ended. */
export interface ReplyOutcome {
  readonly turn: number;
  readonly outcome: "completed" | "failed" | "cancelled";
  /** Why, for a failed or cancelled turn. */
  readonly reason: string;
}

/**
 * Follows the reply to the message stored at `seq` with id `messageId`: `onText` gets the reply
 * text as it streams, `onEvent` the turn's other events; resolves when the turn ends.
 */
export async function followReply(
  conn: Connection,
  ref: ObjectRefText,
  message: { readonly messageId: string; readonly seq: bigint },
  onText: (text: string) => void,
  onEvent: (event: SessionEvent) => void,
  options: FollowOptions = {},
): Promise<ReplyOutcome> {
  let turn = 0;
  let outcome: ReplyOutcome | undefined;
  const end = await followEvents(
    conn,
    ref,
    message.seq,
    (event) => {
      const p = event.payload;
      if (p.case === "turnStarted" && p.value.messageId === message.messageId) {
        turn = event.turn;
        return false;
      }
      if (turn === 0 || event.turn !== turn) return false;
      switch (p.case) {
        case "textDelta":
          onText(p.value.text);
          return false;
        case "turnCompleted":
          outcome = { turn, outcome: "completed", reason: "" };
          return true;
        case "turnFailed":
          outcome = { turn, outcome: "failed", reason: `${p.value.reason}${p.value.message ? `: ${p.value.message}` : ""}` };
          return true;
        case "turnCancelled":
          outcome = { turn, outcome: "cancelled", reason: p.value.reason };
          return true;
        default:
          onEvent(event);
          return false;
      }
    },
    options,
  );
  if (end === "terminated" || !outcome) throw new UsageError(`session "${ref.namespace}/${ref.name}" was deleted before it answered`);
  return outcome;
}
