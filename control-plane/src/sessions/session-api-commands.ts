/**
 * What SessionService's commands do to a session, each under its row lock: they change the
 * desired state and queue work items, and leave runtimes to the reconciler and the daemon.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { WorkItemSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { SessionRow } from "../store/entities/session.js";
import { pendingApprovals, specOf } from "./session-api-view.js";
import type { SessionStore } from "./session-store.js";

/** A user message to queue. */
export interface OutgoingMessage {
  readonly text: string;
  /** One of the session's agents, or "" to let routing choose. */
  readonly agent: string;
  readonly sender: Principal;
  /** Makes a retry return the first call's result; "" for none. */
  readonly idempotencyKey: string;
}

/** Whether the session is being deleted or is gone: nothing may be asked of it any more. */
export function isEnding(row: SessionRow): boolean {
  return row.desired === "terminated" || row.state === "terminating" || row.state === "terminated";
}

/** Throws FAILED_PRECONDITION when the session is being deleted or is gone. */
export function refuseEnding(row: SessionRow, what: string): void {
  if (!isEnding(row)) return;
  const state = row.state === "terminated" ? "TERMINATED" : "TERMINATING";
  throw new ConnectError(`cannot ${what} session "${row.namespace}/${row.name}": it is ${state}`, Code.FailedPrecondition);
}

/** Sets the desired state to running (a resume); a FAILED session is retried by the reconciler. */
export async function resume(store: SessionStore, em: EntityManager, row: SessionRow): Promise<void> {
  refuseEnding(row, "resume");
  if (row.desired !== "running") await store.setDesired(em, row, "running");
}

/** Sets the desired state to paused; the reconciler stops the daemon and keeps the volume. */
export async function pause(store: SessionStore, em: EntityManager, row: SessionRow): Promise<void> {
  refuseEnding(row, "pause");
  if (row.desired !== "paused") await store.setDesired(em, row, "paused");
}

/** Sets the desired state to terminated once; the first delete decides whether the volume is kept. */
export async function terminate(store: SessionStore, em: EntityManager, row: SessionRow, retainVolume: boolean): Promise<void> {
  if (row.desired === "terminated" || row.state === "terminated") return;
  row.volumeRetained = retainVolume;
  await store.setDesired(em, row, "terminated");
}

async function earlierMessage(em: EntityManager, row: SessionRow, key: string): Promise<{ messageId: string; seq: bigint } | undefined> {
  const [item] = await em.execute<{ event_seq: string | null }[]>(
    `select event_seq from session_work_items where session_id = ? and idempotency_key = ?`,
    [row.id, key],
  );
  if (!item?.event_seq) return undefined;
  const [event] = await em.execute<{ payload: Buffer }[]>(`select payload from session_events where session_id = ? and seq = ?`, [row.id, item.event_seq]);
  const stored = event ? fromBinary(SessionEventSchema, event.payload) : undefined;
  const messageId = stored?.payload.case === "userMessage" ? stored.payload.value.messageId : "";
  return { messageId, seq: BigInt(item.event_seq) };
}

/**
 * Queues a user message: stored as a UserMessage event and a work item the daemon receives
 * exactly once. A paused session is resumed first; the message waits for its daemon.
 */
export async function sendMessage(store: SessionStore, em: EntityManager, row: SessionRow, message: OutgoingMessage): Promise<{ messageId: string; seq: bigint }> {
  if (message.idempotencyKey) {
    const earlier = await earlierMessage(em, row, message.idempotencyKey);
    if (earlier) return earlier;
  }
  refuseEnding(row, "send a message to");
  const agents = specOf(row).agents;
  if (message.agent && !agents.includes(message.agent)) {
    throw new ConnectError(`agent "${message.agent}" is not one of the session's agents (${agents.join(", ")})`, Code.InvalidArgument);
  }
  if (row.desired === "paused") await store.setDesired(em, row, "running");
  const messageId = crypto.randomUUID();
  const item = create(WorkItemSchema, {
    item: { case: "userMessage", value: { messageId, text: message.text, targetAgent: message.agent, sender: message.sender } },
  });
  const { eventSeq } = await store.enqueueWork(em, row, item, message.idempotencyKey || undefined);
  return { messageId, seq: eventSeq ?? 0n };
}

/** Asks the daemon to cancel the running turn (if it is `turn`, when given); returns the turn asked to stop, or 0. */
export async function cancelTurn(store: SessionStore, em: EntityManager, row: SessionRow, turn: number | undefined, reason: string, by: Principal): Promise<number> {
  if (isEnding(row) || row.activeTurn === 0) return 0;
  if (turn !== undefined && turn !== row.activeTurn) return 0;
  const item = create(WorkItemSchema, { item: { case: "cancelTurn", value: { turn: row.activeTurn, reason, cancelledBy: by } } });
  await store.enqueueWork(em, row, item);
  return row.activeTurn;
}

/** Passes an approval decision to the daemon; FAILED_PRECONDITION unless that call is waiting. */
export async function decideApproval(
  store: SessionStore,
  em: EntityManager,
  row: SessionRow,
  decision: { toolCallId: string; approve: boolean; reason: string; by: Principal },
): Promise<void> {
  refuseEnding(row, "answer an approval of");
  const pending = await pendingApprovals(em, row.id, row.activeTurn);
  if (!pending.some((p) => p.toolCallId === decision.toolCallId)) {
    throw new ConnectError(`no tool call "${decision.toolCallId}" is waiting for approval in session "${row.namespace}/${row.name}"`, Code.FailedPrecondition);
  }
  const item = create(WorkItemSchema, {
    item: { case: "approvalDecision", value: { toolCallId: decision.toolCallId, approve: decision.approve, reason: decision.reason, decidedBy: decision.by } },
  });
  await store.enqueueWork(em, row, item);
}
