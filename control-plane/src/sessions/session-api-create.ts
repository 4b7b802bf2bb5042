/**
 * Creating sessions for SessionService: directly (CreateSession) or as a remix of another
 * session (RemixSession), each with its first user message queued in the same step.
 *
 * Remix contract: the new session records its source in `parent_id`, the turn it starts from
 * in `parent_turn` (at_turn, or the source's latest ended turn) and that turn's checkpoint in
 * `parent_checkpoint_id`, and inherits the source's checkpoints up to that turn. Nothing is
 * copied here; when the reconciler first starts a session with a parent, it asks the runtime
 * for a volume copied from the parent's (`ensureVolume(id, { from: parentId })`). The copy
 * carries the daemon's conversation log and checkpoint store with the files; Welcome.restore
 * tells the daemon which turn and checkpoint to materialise, so files and conversation are
 * forked together at that turn even if the source has moved on since.
 */
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { SessionSpecSchema, type RemixSessionRequest, type SessionSpec } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { WorkItemSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { AgentStore } from "../store/agents.js";
import type { SessionRow } from "../store/entities/session.js";
import type { Orm } from "../store/orm.js";
import { requireAgents } from "./session-api-agents.js";
import { checkpointOf } from "./session-checkpoints.js";
import { specOf, storedPrincipal } from "./session-api-view.js";
import type { SessionStore } from "./session-store.js";

/** What a new session is made of. */
export interface SessionDraft {
  readonly namespace: string;
  /** "" generates one. */
  readonly name: string;
  readonly spec: SessionSpec;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly creator: Principal;
  readonly parent?: RemixPoint & { readonly id: string };
}

/** Where a remix starts: a turn of the source and, when it has one, that turn's checkpoint. */
export interface RemixPoint {
  readonly turn: number;
  readonly checkpointId: string | undefined;
}

/** Where new sessions are stored and placed, and where their agents are looked up. */
export interface SessionFactory {
  readonly orm: Orm;
  readonly store: SessionStore;
  readonly agents: AgentStore;
  /** The runtime kind new sessions are placed on. */
  readonly runtime: string;
}

/** Creates a PENDING session after checking its agents exist in its namespace, and queues its initial prompt. */
export async function createSession({ orm, store, agents, runtime }: SessionFactory, draft: SessionDraft): Promise<SessionRow> {
  await requireAgents(orm, agents, draft.namespace, draft.spec.agents);
  const row = await store.create({
    namespace: draft.namespace,
    name: draft.name,
    spec: toJson(SessionSpecSchema, draft.spec) as JsonObject,
    labels: draft.labels,
    annotations: draft.annotations,
    creator: storedPrincipal(draft.creator),
    runtime,
    ...(draft.parent ? { parentId: draft.parent.id, parentTurn: draft.parent.turn, parentCheckpointId: draft.parent.checkpointId } : {}),
  });
  const prompt = draft.spec.initialPrompt;
  if (prompt) {
    // The first work item, queued at once: the daemon receives it when it first attaches.
    const item = create(WorkItemSchema, {
      item: { case: "userMessage", value: { messageId: crypto.randomUUID(), text: prompt, targetAgent: "", sender: draft.creator } },
    });
    await store.withLocked(row.id, (em, locked) => store.enqueueWork(em, locked, item));
  }
  return (await store.findById(row.id)) ?? row;
}

/**
 * Where a remix of `source` starts, or FAILED_PRECONDITION with what to do instead. at_turn N
 * needs turn N to have ended and to have a checkpoint: only a checkpoint makes the fork exact,
 * since the volume is copied later, when the source may have moved on. A turn that has not
 * ended is FAILED_PRECONDITION rather than INVALID_ARGUMENT: the request is well formed and can
 * succeed once the source gets there. Absent at_turn means the latest ended turn, with its
 * checkpoint if there is one (else the fork is as exact as today's copy at the latest turn).
 */
export async function remixPoint(em: EntityManager, source: SessionRow, atTurn: number | undefined): Promise<RemixPoint> {
  const ref = `"${source.namespace}/${source.name}"`;
  if (source.state === "pending") {
    throw new ConnectError(`session ${ref} has not started yet: it has no state to remix`, Code.FailedPrecondition);
  }
  const ending = source.desired === "terminated" || source.state === "terminating" || source.state === "terminated";
  if (ending && !source.volumeRetained) {
    throw new ConnectError(`session ${ref} was deleted with its volume: there is nothing to remix`, Code.FailedPrecondition);
  }
  const latest = source.turnCount;
  if (atTurn === undefined) {
    return { turn: latest, checkpointId: latest > 0 ? await checkpointOf(em, source.id, latest) : undefined };
  }
  if (atTurn > latest) {
    throw new ConnectError(
      `session ${ref} has ended ${latest} turn${latest === 1 ? "" : "s"}: turn ${atTurn} has no end state yet; remix at turn 1 to ${latest}, or once turn ${atTurn} has ended`,
      Code.FailedPrecondition,
    );
  }
  const checkpointId = await checkpointOf(em, source.id, atTurn);
  if (!checkpointId) {
    throw new ConnectError(
      `turn ${atTurn} of session ${ref} has no checkpoint (it ended before its daemon kept checkpoints, its checkpoint could not be recorded, or it has not arrived yet): remix at a turn whose ListTurns entry has a checkpoint_id, or leave at_turn out for the latest turn`,
      Code.FailedPrecondition,
    );
  }
  return { turn: atTurn, checkpointId };
}

/** The draft of a remix: the source's agents, resources and idle timeout; the request's name, labels and prompt. */
export function remixDraft(source: SessionRow, req: RemixSessionRequest, creator: Principal, point: RemixPoint): SessionDraft {
  const spec = specOf(source);
  spec.initialPrompt = req.initialPrompt;
  return {
    namespace: source.namespace,
    name: req.name,
    spec,
    labels: { ...req.labels },
    annotations: {},
    creator,
    parent: { id: source.id, ...point },
  };
}
