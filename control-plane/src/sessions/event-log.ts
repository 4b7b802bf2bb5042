/**
 * The session event log: appends events under the session row lock (seq assigned gaplessly,
 * daemon resends stored once via UNIQUE(session_id, daemon_seq)), applies the state effects
 * of turn events, and reads events back in order.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { SessionRow } from "../store/entities/session.js";
import { channels, notifySql } from "./notifier.js";
import { assertTransition, canTransition, toApiState, type SessionStateName } from "./state-machine.js";

/** An event to append: its payload (and agent/turn); seq and time are filled in here. */
export type NewEvent = Pick<SessionEvent, "payload"> & Partial<Pick<SessionEvent, "agent" | "turn" | "time">>;

/** Appends one event to a session whose row `row` is locked in `em`'s transaction; returns its seq. */
export async function appendEvent(em: EntityManager, row: SessionRow, event: NewEvent, daemonSeq?: bigint): Promise<bigint> {
  const seq = BigInt(row.lastEventSeq) + 1n;
  const time = event.time ?? timestampFromDate(new Date());
  const stored = create(SessionEventSchema, { ...event, sessionId: row.id, seq, time, agent: event.agent ?? "", turn: event.turn ?? 0 });
  await em.execute(
    `insert into session_events (session_id, seq, daemon_seq, kind, turn, time, payload) values (?, ?, ?, ?, ?, ?, ?)`,
    [row.id, seq.toString(), daemonSeq?.toString() ?? null, event.payload.case ?? "none", stored.turn, new Date(), Buffer.from(toBinary(SessionEventSchema, stored))],
  );
  row.lastEventSeq = seq.toString();
  await em.execute(notifySql(channels.events), [row.id]);
  return seq;
}

/** Moves a locked session to a new state: checks the machine, records the transition and a StateChanged event. */
export async function transitionLocked(
  em: EntityManager,
  row: SessionRow,
  to: SessionStateName,
  reason: string,
  message = "",
): Promise<void> {
  const from = row.state as SessionStateName;
  if (from === to) return;
  assertTransition(from, to);
  row.state = to;
  row.reason = reason;
  row.message = message;
  await em.execute(
    `insert into session_transitions (session_id, from_state, to_state, reason, message, at) values (?, ?, ?, ?, ?, now())`,
    [row.id, from, to, reason, message],
  );
  await appendEvent(em, row, { payload: { case: "stateChanged", value: { from: toApiState(from), to: toApiState(to), reason, message } as never } });
  await em.execute(notifySql(channels.sessions), [row.id]);
}

/**
 * Stores the events a daemon sent, in order, each once; applies turn effects (READY ⇄ BUSY,
 * turn counters). Returns the highest daemon seq now stored, which the daemon may forget.
 */
export async function appendDaemonEvents(
  em: EntityManager,
  row: SessionRow,
  events: readonly { daemonSeq: bigint; event: SessionEvent }[],
): Promise<bigint> {
  let last = BigInt(row.lastDaemonSeq);
  for (const { daemonSeq, event } of events) {
    if (daemonSeq <= last) continue; // a resend of something already committed
    if (daemonSeq !== last + 1n) {
      throw new ConnectError(`daemon event seq ${daemonSeq} skips ahead of ${last + 1n}`, Code.InvalidArgument);
    }
    await appendEvent(em, row, { payload: event.payload, agent: event.agent, turn: event.turn, time: event.time }, daemonSeq);
    last = daemonSeq;
    await applyTurnEffects(em, row, event);
  }
  row.lastDaemonSeq = last.toString();
  return last;
}

async function applyTurnEffects(em: EntityManager, row: SessionRow, event: SessionEvent): Promise<void> {
  row.lastActivityAt = new Date();
  switch (event.payload.case) {
    case "turnStarted":
      row.activeTurn = event.turn;
      if (row.state === "ready") await transitionLocked(em, row, "busy", "TurnStarted", `turn ${event.turn} started`);
      break;
    case "turnCompleted":
    case "turnFailed":
    case "turnCancelled":
      row.activeTurn = 0;
      row.turnCount = Math.max(row.turnCount, event.turn);
      if (row.state === "busy" && canTransition("busy", "ready")) await transitionLocked(em, row, "ready", "TurnEnded", `turn ${event.turn} ended`);
      break;
    default:
      break;
  }
}

/** Reads stored events with seq > afterSeq, oldest first. */
export async function readEvents(em: EntityManager, sessionId: string, afterSeq: bigint, limit: number, turn?: number): Promise<SessionEvent[]> {
  const rows = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and seq > ?${turn === undefined ? "" : " and turn = ?"} order by seq limit ?`,
    turn === undefined ? [sessionId, afterSeq.toString(), limit] : [sessionId, afterSeq.toString(), turn, limit],
  );
  return rows.map((r) => fromBinary(SessionEventSchema, r.payload));
}
