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
import { enqueueWebhookDeliveries, type OutboxEvent } from "../webhooks/outbox.js";
import { channels, eventsHint, notifySql, type StoredEvent } from "./notifier.js";
import { assertTransition, canTransition, toApiState, type SessionStateName } from "./state-machine.js";

/** An event to append: its payload (and agent/turn); seq and time are filled in here. */
export type NewEvent = Pick<SessionEvent, "payload"> & Partial<Pick<SessionEvent, "agent" | "turn" | "time">>;

/** Appends one event to a session whose row `row` is locked in `em`'s transaction; returns its seq. */
export async function appendEvent(em: EntityManager, row: SessionRow, event: NewEvent, daemonSeq?: bigint): Promise<bigint> {
  const seq = await insertEvents(em, row, [{ event, daemonSeq }]);
  await em.execute(notifySql(channels.events), [eventsHint(row.id, seq)]);
  return seq;
}

/** The event lists being collected, per transaction's entity manager. */
const collectors = new WeakMap<EntityManager, StoredEvent[]>();

/**
 * Collects every event stored through `em` from now on (its transaction), in seq order: once
 * the transaction commits, the list can be handed to this process's watchers as it is.
 */
export function collectStoredEvents(em: EntityManager): readonly StoredEvent[] {
  const collected: StoredEvent[] = [];
  collectors.set(em, collected);
  return collected;
}

/** Inserts events with the next seqs in one statement (no NOTIFY: the caller sends one per transaction); returns the last seq. */
async function insertEvents(em: EntityManager, row: SessionRow, events: readonly { event: NewEvent; daemonSeq?: bigint | undefined }[]): Promise<bigint> {
  let seq = BigInt(row.lastEventSeq);
  if (events.length === 0) return seq;
  const now = new Date();
  const values: unknown[] = [];
  const outbox: OutboxEvent[] = [];
  const collected = collectors.get(em);
  for (const { event, daemonSeq } of events) {
    seq++;
    const time = event.time ?? timestampFromDate(now);
    const stored = create(SessionEventSchema, { ...event, sessionId: row.id, seq, time, agent: event.agent ?? "", turn: event.turn ?? 0 });
    const payload = toBinary(SessionEventSchema, stored);
    values.push(row.id, seq.toString(), daemonSeq?.toString() ?? null, event.payload.case ?? "none", stored.turn, now, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
    collected?.push({ event: stored, bytes: payload.byteLength });
    outbox.push({ seq, kind: event.payload.case ?? "none" });
  }
  await em.execute(
    `insert into session_events (session_id, seq, daemon_seq, kind, turn, time, payload) values ${events.map(() => "(?, ?, ?, ?, ?, ?, ?)").join(", ")}`,
    values,
  );
  // In the same transaction: a webhook delivery exists exactly when its event committed.
  await enqueueWebhookDeliveries(em, row, outbox);
  row.lastEventSeq = seq.toString();
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
 * turn counters). Runs of events go in one multi-row INSERT (cut where a turn event writes a
 * StateChanged in between) and watchers get one NOTIFY. Returns the highest daemon seq now
 * stored, which the daemon may forget.
 */
export async function appendDaemonEvents(
  em: EntityManager,
  row: SessionRow,
  events: readonly { daemonSeq: bigint; event: SessionEvent }[],
): Promise<bigint> {
  let last = BigInt(row.lastDaemonSeq);
  let run: { event: NewEvent; daemonSeq: bigint }[] = [];
  const flush = async (): Promise<void> => {
    // Postgres allows 65,535 parameters per statement: 7 per row.
    for (let i = 0; i < run.length; i += maxRowsPerInsert) await insertEvents(em, row, run.slice(i, i + maxRowsPerInsert));
    run = [];
  };
  const previous = last;
  for (const { daemonSeq, event } of events) {
    if (daemonSeq <= last) continue; // a resend of something already committed
    if (daemonSeq !== last + 1n) {
      throw new ConnectError(`daemon event seq ${daemonSeq} skips ahead of ${last + 1n}`, Code.InvalidArgument);
    }
    run.push({ event: { payload: event.payload, agent: event.agent, turn: event.turn, time: event.time }, daemonSeq });
    last = daemonSeq;
    if (hasTurnEffects(event)) {
      await flush();
      await applyTurnEffects(em, row, event);
    }
  }
  await flush();
  if (last !== previous) {
    row.lastActivityAt = new Date();
    await em.execute(notifySql(channels.events), [eventsHint(row.id, BigInt(row.lastEventSeq))]);
  }
  row.lastDaemonSeq = last.toString();
  return last;
}

const maxRowsPerInsert = 1000;

function hasTurnEffects(event: SessionEvent): boolean {
  const kind = event.payload.case;
  return kind === "turnStarted" || kind === "turnCompleted" || kind === "turnFailed" || kind === "turnCancelled";
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
