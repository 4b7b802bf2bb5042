/** Reads and writes sessions: creation, desired state, locked updates, work items, lists. */
import { randomBytes } from "node:crypto";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, raw, UniqueConstraintViolationException, type EntityManager } from "@mikro-orm/postgresql";
import { WorkItemSchema, type WorkItem } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { notFound } from "../errors.js";
import { SessionSchema, type SessionRow } from "../store/entities/session.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "../store/namespaced-list.js";
import { lockActiveNamespace } from "../store/namespaces.js";
import type { Orm } from "../store/orm.js";
import { currentTraceparent } from "../telemetry/trace-context.js";
import { appendEvent } from "./event-log.js";
import { inheritCheckpoints } from "./session-checkpoints.js";
import { channels, notifySql } from "./notifier.js";
import type { SessionStateName } from "./state-machine.js";

/** What the user wants a session to be. */
export type DesiredState = "running" | "paused" | "terminated";

/** The fields of a new session. */
export interface NewSession {
  readonly namespace: string;
  /** Empty generates one ("session-" + random). */
  readonly name: string;
  /** The SessionSpec as protobuf JSON. */
  readonly spec: Record<string, unknown>;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly creator: Record<string, string>;
  readonly runtime: string;
  readonly parentId?: string;
  readonly parentTurn?: number;
  /** The source's checkpoint of parentTurn, when it has one. */
  readonly parentCheckpointId?: string | undefined;
}

/** Filters of a session list beyond the common ones. */
export interface SessionListQuery extends ListQuery {
  readonly states?: readonly SessionStateName[];
  readonly creator?: string;
  readonly parentId?: string;
}

/** Session persistence; every write that matters happens under the session row lock. */
export class SessionStore {
  constructor(private readonly orm: Orm) {}

  /** Creates a PENDING session that should run; ALREADY_EXISTS when the name is taken. */
  async create(input: NewSession): Promise<SessionRow> {
    const name = input.name || `session-${randomBytes(4).toString("hex")}`;
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, input.namespace);
        const row = em.create(SessionSchema, {
          id: crypto.randomUUID(),
          namespace: input.namespace,
          name,
          spec: input.spec,
          desired: "running",
          state: "pending",
          reason: "Created",
          message: "",
          runtime: input.runtime,
          runtimeHandle: "",
          parentId: input.parentId ?? null,
          parentTurn: input.parentTurn ?? null,
          parentCheckpointId: input.parentCheckpointId ?? null,
          creator: input.creator,
          turnCount: input.parentTurn ?? 0,
          activeTurn: 0,
          lastEventSeq: "0",
          lastDaemonSeq: "0",
          lastWorkSeq: "0",
          tokenGeneration: 1,
          restartAttempts: 0,
          startedAt: null,
          nextAttemptAt: null,
          lastActivityAt: new Date(),
          leaseOwner: null,
          leaseUntil: null,
          volumeRetained: false,
          labels: input.labels,
          annotations: input.annotations,
        });
        await em.flush();
        // A remix can later start from any of these turns too: their manifests come with the copied volume.
        if (input.parentId && input.parentTurn) await inheritCheckpoints(em, row.id, input.parentId, input.parentTurn);
        await em.execute(notifySql(channels.sessions), [row.id]);
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Session "${input.namespace}/${name}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /**
   * Gets a session by namespace and name, or throws NOT_FOUND. Only one session that is not
   * TERMINATED holds a name; deleted ones keep theirs readable until it is taken again, so the
   * live one comes first, then the newest TERMINATED one.
   */
  async get(namespace: string, name: string): Promise<SessionRow> {
    const [row] = await this.orm.em
      .fork()
      .find(SessionSchema, { namespace, name }, { orderBy: [{ [raw("state = 'terminated'")]: "asc" }, { createdAt: "desc" }], limit: 1 });
    if (!row) throw notFound("Session", namespace, name);
    return row;
  }

  /** Gets a session by id, or undefined. */
  async findById(id: string): Promise<SessionRow | null> {
    return this.orm.em.fork().findOne(SessionSchema, { id });
  }

  /** Lists sessions ordered by (namespace, name); TERMINATED ones only when asked for by state. */
  async list(query: SessionListQuery): Promise<{ items: SessionRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(SessionSchema);
    // TERMINATED sessions can share a name (a deleted session frees it): ids keep pages apart.
    const limit = filterNamespaced(qb, query, true);
    if (query.states?.length) qb.andWhere(`state in (${query.states.map(() => "?").join(", ")})`, [...query.states]);
    else qb.andWhere("state <> 'terminated'");
    if (query.creator) qb.andWhere("(creator ->> 'username') = ?", [query.creator]);
    if (query.parentId) qb.andWhere("parent_id = ?", [query.parentId]);
    const rows = await qb.orderBy({ namespace: "asc", name: "asc", id: "asc" }).limit(limit).getResult();
    return namespacedPage(rows, limit, true);
  }

  /** Runs `fn` with the session row locked (FOR UPDATE) in one transaction, then flushes it. */
  async withLocked<T>(id: string, fn: (em: EntityManager, row: SessionRow) => Promise<T>): Promise<T> {
    return this.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(SessionSchema, { id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw new ConnectError("session no longer exists", Code.NotFound);
      const result = await fn(em, row);
      await em.flush();
      return result;
    });
  }

  /** Sets what the user wants, and hints the reconciler. */
  async setDesired(em: EntityManager, row: SessionRow, desired: DesiredState): Promise<void> {
    row.desired = desired;
    await em.execute(notifySql(channels.sessions), [row.id]);
  }

  /**
   * Queues a work item for the daemon under the locked row; with a UserMessage, also stores the
   * message as an event. Returns the work seq and the event seq (if any).
   */
  async enqueueWork(em: EntityManager, row: SessionRow, item: WorkItem, idempotencyKey?: string): Promise<{ workSeq: bigint; eventSeq?: bigint }> {
    if (idempotencyKey) {
      const existing = await em.execute<{ seq: string; event_seq: string | null }[]>(
        `select seq, event_seq from session_work_items where session_id = ? and idempotency_key = ?`,
        [row.id, idempotencyKey],
      );
      if (existing[0]) return { workSeq: BigInt(existing[0].seq), eventSeq: existing[0].event_seq ? BigInt(existing[0].event_seq) : undefined };
    }
    let eventSeq: bigint | undefined;
    if (item.item.case === "userMessage") {
      eventSeq = await appendEvent(em, row, { payload: { case: "userMessage", value: item.item.value }, agent: item.item.value.targetAgent });
    }
    // The daemon's spans for this work join the trace of the request that queued it.
    item.traceparent ||= currentTraceparent();
    const workSeq = BigInt(row.lastWorkSeq) + 1n;
    row.lastWorkSeq = workSeq.toString();
    row.lastActivityAt = new Date();
    await em.execute(
      `insert into session_work_items (session_id, seq, kind, payload, idempotency_key, event_seq, created_at) values (?, ?, ?, ?, ?, ?, now())`,
      [row.id, workSeq.toString(), item.item.case ?? "none", Buffer.from(toBinary(WorkItemSchema, create(WorkItemSchema, item))), idempotencyKey ?? null, eventSeq?.toString() ?? null],
    );
    await em.execute(notifySql(channels.sessions), [row.id]);
    return { workSeq, eventSeq };
  }

  /** Work items not yet acknowledged with seq > afterSeq, in order. */
  async pendingWork(sessionId: string, afterSeq: bigint): Promise<{ seq: bigint; payload: Buffer }[]> {
    const rows = await this.orm.em.fork().execute<{ seq: string; payload: Buffer }[]>(
      `select seq, payload from session_work_items where session_id = ? and seq > ? and acked_at is null order by seq`,
      [sessionId, afterSeq.toString()],
    );
    return rows.map((r) => ({ seq: BigInt(r.seq), payload: r.payload }));
  }

  /** Marks work items up to `seq` as acknowledged by the daemon. */
  async ackWork(sessionId: string, seq: bigint): Promise<void> {
    await this.orm.em.fork().execute(
      `update session_work_items set acked_at = now() where session_id = ? and seq <= ? and acked_at is null`,
      [sessionId, seq.toString()],
    );
  }
}
