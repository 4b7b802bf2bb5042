/**
 * The API form of stored sessions: metadata, spec, status with its recent transitions and
 * pending approvals, lineage and creator. Lists are assembled with a fixed number of queries,
 * whatever the page size.
 */
import { create, fromBinary, fromJson } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { EntityManager } from "@mikro-orm/postgresql";
import { PrincipalSchema, type Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import {
  PendingApprovalSchema,
  RuntimeKind,
  SessionSchema as SessionMessageSchema,
  SessionSpecSchema,
  SessionTransitionSchema as TransitionMessageSchema,
  type PendingApproval,
  type Session,
  type SessionSpec,
  type SessionTransition,
} from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { toObjectMeta } from "../api/object-meta.js";
import type { SessionRow } from "../store/entities/session.js";
import { sessionUsage } from "./session-usage.js";
import { toApiState, type SessionStateName } from "./state-machine.js";

/** How many transitions a Session shows (the most recent ones). */
export const shownTransitions = 100;

/** The stored SessionSpec as a message. */
export function specOf(row: Pick<SessionRow, "spec">): SessionSpec {
  return fromJson(SessionSpecSchema, row.spec as never, { ignoreUnknownFields: true });
}

/** The creator or sender as stored: the principal without groups, plus the name it logs in with. */
export function storedPrincipal(p: { kind: string; namespace: string; name: string; uid: string }): Record<string, string> {
  return { kind: p.kind, namespace: p.namespace, name: p.name, uid: p.uid, username: p.namespace ? `${p.namespace}/${p.name}` : p.name };
}

/** The API Principal of a stored creator. */
export function principalOf(stored: Record<string, string>): Principal {
  return create(PrincipalSchema, { kind: stored.kind ?? "", namespace: stored.namespace ?? "", name: stored.name ?? "", uid: stored.uid ?? "" });
}

function runtimeKind(kind: string): RuntimeKind {
  if (kind === "process") return RuntimeKind.PROCESS;
  if (kind === "kubernetes") return RuntimeKind.KUBERNETES;
  return RuntimeKind.UNSPECIFIED;
}

/** One `?` per value: the driver expands an array parameter into a list, so `any(?)` cannot take one. */
const placeholders = (values: readonly unknown[]) => values.map(() => "?").join(", ");

interface TransitionRow {
  session_id: string;
  from_state: string;
  to_state: string;
  reason: string;
  message: string;
  at: Date | string;
}

async function transitionsOf(em: EntityManager, ids: readonly string[]): Promise<Map<string, SessionTransition[]>> {
  const out = new Map<string, SessionTransition[]>();
  if (ids.length === 0) return out;
  const rows = await em.execute<TransitionRow[]>(
    `select session_id, from_state, to_state, reason, message, at from (
       select t.*, row_number() over (partition by session_id order by id desc) as rn
         from session_transitions t where session_id in (${placeholders(ids)})) x
      where rn <= ? order by session_id, id`,
    [...ids, shownTransitions],
  );
  for (const r of rows) {
    const list = out.get(r.session_id) ?? [];
    list.push(
      create(TransitionMessageSchema, {
        from: toApiState(r.from_state as SessionStateName),
        to: toApiState(r.to_state as SessionStateName),
        reason: r.reason,
        message: r.message,
        at: timestampFromDate(new Date(r.at)),
      }),
    );
    out.set(r.session_id, list);
  }
  return out;
}

async function parentsOf(em: EntityManager, rows: readonly SessionRow[]): Promise<Map<string, { namespace: string; name: string }>> {
  const ids = [...new Set(rows.map((r) => r.parentId).filter((id): id is string => typeof id === "string"))];
  if (ids.length === 0) return new Map();
  const found = await em.execute<{ id: string; namespace: string; name: string }[]>(`select id, namespace, name from sessions where id in (${placeholders(ids)})`, ids);
  return new Map(found.map((p) => [p.id, { namespace: p.namespace, name: p.name }]));
}

/**
 * Tool calls waiting for approval in the running turn: ApprovalRequested events of that turn
 * with no ApprovalResolved after them. A turn that ends abandons its approvals.
 */
export async function pendingApprovals(em: EntityManager, sessionId: string, turn: number): Promise<PendingApproval[]> {
  if (turn <= 0) return [];
  const rows = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and turn = ? and kind in ('approvalRequested', 'approvalResolved') order by seq`,
    [sessionId, turn],
  );
  const pending = new Map<string, PendingApproval>();
  for (const { payload } of rows) {
    const event = fromBinary(SessionEventSchema, payload);
    if (event.payload.case === "approvalRequested") {
      const r = event.payload.value;
      pending.set(
        r.toolCallId,
        create(PendingApprovalSchema, {
          toolCallId: r.toolCallId,
          agent: event.agent,
          turn: event.turn,
          tool: r.tool,
          argumentsJson: r.argumentsJson,
          reason: r.reason,
          requestedAt: event.time,
          expiresAt: r.expiresAt,
        }),
      );
    } else if (event.payload.case === "approvalResolved") {
      pending.delete(event.payload.value.toolCallId);
    }
  }
  return [...pending.values()];
}

/** The API form of stored sessions, in the order given. */
export async function toSessions(em: EntityManager, rows: readonly SessionRow[]): Promise<Session[]> {
  const ids = rows.map((r) => r.id);
  const [transitions, parents, usage] = await Promise.all([transitionsOf(em, ids), parentsOf(em, rows), sessionUsage(em, ids)]);
  const approvals = new Map<string, PendingApproval[]>();
  for (const r of rows) if (r.activeTurn > 0) approvals.set(r.id, await pendingApprovals(em, r.id, r.activeTurn));
  return rows.map((row) => {
    const parent = row.parentId ? parents.get(row.parentId) : undefined;
    return create(SessionMessageSchema, {
      metadata: toObjectMeta(row),
      spec: specOf(row),
      status: {
        state: toApiState(row.state as SessionStateName),
        reason: row.reason,
        message: row.message,
        runtime: { kind: runtimeKind(row.runtime), handle: row.runtimeHandle },
        lastActivityAt: timestampFromDate(row.lastActivityAt),
        turnCount: row.turnCount,
        activeTurn: row.activeTurn,
        pendingApprovals: approvals.get(row.id) ?? [],
        usage: usage.get(row.id),
        transitions: transitions.get(row.id) ?? [],
        lastEventSeq: BigInt(row.lastEventSeq),
        volumeRetained: row.state === "terminated" && row.volumeRetained,
      },
      lineage: row.parentId
        ? { parent: parent ?? { namespace: row.namespace, name: "" }, parentUid: row.parentId, parentTurn: row.parentTurn ?? 0, checkpointId: row.parentCheckpointId ?? "" }
        : undefined,
      creator: principalOf(row.creator),
    });
  });
}

/** The API form of one stored session. */
export async function toSession(em: EntityManager, row: SessionRow): Promise<Session> {
  const [session] = await toSessions(em, [row]);
  return session!;
}
