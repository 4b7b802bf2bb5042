/** The session tables: sessions, their transitions, their event log and their work items. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** MikroORM schema of a session. Counters are bigints read as strings (exact beyond 2^53). */
export const SessionSchema = defineEntity({
  name: "Session",
  tableName: "sessions",
  // Only sessions that are not TERMINATED hold their name: a deleted session frees it (migration 0009).
  uniques: [{ name: "sessions_namespace_name_live_unique", properties: ["namespace", "name"], where: "state <> 'terminated'" }],
  // (namespace, name) once more, whole: lookups by name read TERMINATED rows too.
  indexes: [{ properties: ["namespace", "name"] }, { properties: ["desired", "state"] }, { properties: ["parentId"] }],
  properties: {
    id: p.uuid().primary(),
    namespace: p.string().length(63),
    name: p.string().length(63),
    /** The SessionSpec as protobuf JSON. */
    spec: p.json<Record<string, unknown>>(),
    /** What the user wants: running, paused or terminated. */
    desired: p.string().length(16),
    /** The SessionState shown by the API (lowercase). */
    state: p.string().length(16),
    reason: p.string().length(64),
    message: p.text(),
    runtime: p.string().length(16),
    runtimeHandle: p.string().length(253),
    parentId: p.uuid().nullable(),
    parentTurn: p.integer().nullable(),
    /** The source's checkpoint of `parentTurn` the remix restores; null when it had none. */
    parentCheckpointId: p.string().length(128).nullable(),
    /** The creating principal: { kind, namespace, name, uid }. */
    creator: p.json<Record<string, string>>(),
    turnCount: p.integer(),
    activeTurn: p.integer(),
    /** The last event seq assigned (events are numbered 1, 2, … without gaps). */
    lastEventSeq: p.bigint("string"),
    /** The highest daemon seq stored (what the control plane acks). */
    lastDaemonSeq: p.bigint("string"),
    /** The last work item seq assigned. */
    lastWorkSeq: p.bigint("string"),
    /** Bumped when the session ends or its daemon is replaced: older daemon tokens are void. */
    tokenGeneration: p.integer(),
    restartAttempts: p.integer(),
    /** When the daemon was last spawned (for the start timeout). */
    startedAt: p.datetime().nullable(),
    nextAttemptAt: p.datetime().nullable(),
    lastActivityAt: p.datetime(),
    /** Which control-plane replica acts on the session, and until when. */
    leaseOwner: p.string().length(64).nullable(),
    leaseUntil: p.datetime().nullable(),
    volumeRetained: p.boolean(),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** MikroORM schema of one recorded state transition. */
export const SessionTransitionSchema = defineEntity({
  name: "SessionTransition",
  tableName: "session_transitions",
  indexes: [{ properties: ["sessionId", "id"] }],
  properties: {
    id: p.bigint("string").primary().autoincrement(),
    sessionId: p.uuid(),
    fromState: p.string().length(16),
    toState: p.string().length(16),
    reason: p.string().length(64),
    message: p.text(),
    at: p.datetime(),
  },
});

/** MikroORM schema of one stored event (the SessionEvent as protobuf binary). */
export const SessionEventSchema = defineEntity({
  name: "SessionEventRow",
  tableName: "session_events",
  uniques: [{ properties: ["sessionId", "daemonSeq"] }],
  properties: {
    sessionId: p.uuid().primary(),
    seq: p.bigint("string").primary(),
    /** The daemon's own seq for events it sent; null for events the control plane wrote. */
    daemonSeq: p.bigint("string").nullable(),
    kind: p.string().length(32),
    turn: p.integer(),
    time: p.datetime(),
    payload: p.blob(),
  },
});

/** MikroORM schema of one control → daemon work item. */
export const SessionWorkItemSchema = defineEntity({
  name: "SessionWorkItem",
  tableName: "session_work_items",
  uniques: [{ properties: ["sessionId", "idempotencyKey"] }],
  properties: {
    sessionId: p.uuid().primary(),
    seq: p.bigint("string").primary(),
    kind: p.string().length(32),
    /** The WorkItem as protobuf binary. */
    payload: p.blob(),
    idempotencyKey: p.string().length(128).nullable(),
    /** The event seq of the UserMessage this item recorded, if any. */
    eventSeq: p.bigint("string").nullable(),
    createdAt: p.datetime(),
    ackedAt: p.datetime().nullable(),
  },
});

/**
 * MikroORM schema of one turn checkpoint a daemon recorded (TurnCheckpoint): the manifest id
 * of the workspace at the end of the turn, in the session's volume. A remix also gets its
 * source's checkpoints up to the remixed turn (their manifests are in the copied volume), so a
 * remix of a remix can start from those turns too.
 */
export const SessionCheckpointSchema = defineEntity({
  name: "SessionCheckpoint",
  tableName: "session_checkpoints",
  properties: {
    sessionId: p.uuid().primary(),
    turn: p.integer().primary(),
    checkpointId: p.string().length(128),
    fileCount: p.bigint("string"),
    totalBytes: p.bigint("string"),
    storedBytes: p.bigint("string"),
    /** The daemon seq of the TurnCheckpoint message; null for a checkpoint inherited from the remix source. */
    daemonSeq: p.bigint("string").nullable(),
    createdAt: p.datetime(),
  },
});

/** A session row. */
export type SessionRow = InferEntity<typeof SessionSchema>;
