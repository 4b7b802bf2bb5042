/**
 * Creating sessions for SessionService: directly (CreateSession) or as a remix of another
 * session (RemixSession), each with its first user message queued in the same step.
 *
 * Remix contract: the new session records its source in `parent_id` and the source's ended
 * turns in `parent_turn`. Nothing is copied here; when the reconciler first starts a session
 * with a parent, it asks the runtime for a volume copied from the parent's
 * (`ensureVolume(id, { from: parentId })`), and the copy carries the daemon's conversation log
 * with the files, so the conversation is forked with the volume.
 */
import { create, toJson, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { SessionSpecSchema, type RemixSessionRequest, type SessionSpec } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { WorkItemSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { AgentStore } from "../store/agents.js";
import type { SessionRow } from "../store/entities/session.js";
import type { Orm } from "../store/orm.js";
import { requireAgents } from "./session-api-agents.js";
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
  readonly parent?: { readonly id: string; readonly turn: number };
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
    ...(draft.parent ? { parentId: draft.parent.id, parentTurn: draft.parent.turn } : {}),
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

/** Throws FAILED_PRECONDITION unless the source's latest state can be remixed (as the request asks). */
export function checkRemixSource(source: SessionRow, atTurn: number | undefined): void {
  const ref = `"${source.namespace}/${source.name}"`;
  if (source.state === "pending") {
    throw new ConnectError(`session ${ref} has not started yet: it has no state to remix`, Code.FailedPrecondition);
  }
  const ending = source.desired === "terminated" || source.state === "terminating" || source.state === "terminated";
  if (ending && !source.volumeRetained) {
    throw new ConnectError(`session ${ref} was deleted with its volume: there is nothing to remix`, Code.FailedPrecondition);
  }
  if (atTurn !== undefined && atTurn !== source.turnCount) {
    throw new ConnectError(
      `session ${ref} can only be remixed at its latest ended turn (${source.turnCount}): earlier turns need turn checkpoints, which this server does not keep yet; leave at_turn out`,
      Code.FailedPrecondition,
    );
  }
}

/** The draft of a remix: the source's agents, resources and idle timeout; the request's name, labels and prompt. */
export function remixDraft(source: SessionRow, req: RemixSessionRequest, creator: Principal): SessionDraft {
  const spec = specOf(source);
  spec.initialPrompt = req.initialPrompt;
  return {
    namespace: source.namespace,
    name: req.name,
    spec,
    labels: { ...req.labels },
    annotations: {},
    creator,
    parent: { id: source.id, turn: source.turnCount },
  };
}
