/**
 * SessionService: creates, drives, observes and removes sessions. Handlers only change what a
 * session should be (its desired state) and queue work for its daemon; the reconciler and the
 * attach handler make runtimes and daemons follow.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { PrincipalSchema, type Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import type { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { kCaller, kListScope } from "../context.js";
import type { Notifier } from "../sessions/notifier.js";
import { cancelTurn, decideApproval, pause, resume, sendMessage, terminate } from "../sessions/session-api-commands.js";
import { createSession, remixDraft, remixPoint } from "../sessions/session-api-create.js";
import { readEventPage } from "../sessions/session-api-events.js";
import { listTurns } from "../sessions/session-api-turns.js";
import { toSession, toSessions } from "../sessions/session-api-view.js";
import type { SessionStore } from "../sessions/session-store.js";
import { fromApiState, type SessionStateName } from "../sessions/state-machine.js";
import { watchSessionEvents, type WatchOptions } from "../sessions/watch.js";
import { AgentStore } from "../store/agents.js";
import type { SessionRow } from "../store/entities/session.js";
import type { Orm } from "../store/orm.js";

/** Dependencies and options of the SessionService implementation. */
export interface SessionServiceOptions {
  readonly orm: Orm;
  readonly sessions: SessionStore;
  readonly notifier: Notifier;
  /** The runtime kind new sessions are placed on (default "process"). */
  readonly runtime?: "process" | "kubernetes";
  /** Aborted when the server stops, so open watches end (UNAVAILABLE) instead of holding shutdown. */
  readonly stopping?: AbortSignal;
  /** Watch tunables; tests shorten them. */
  readonly watch?: WatchOptions;
  /** Most bytes of events in one ListEvents response (default 2 MiB, under the default message limit). */
  readonly listEventsMaxBytes?: number;
}

/** The caller as a Principal without groups, as sessions record creators and senders. */
function callerOf(ctx: HandlerContext): Principal {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw new ConnectError("authentication required", Code.Unauthenticated);
  return create(PrincipalSchema, { kind: caller.kind, namespace: caller.namespace, name: caller.name, uid: caller.uid });
}

function refOf(ref: ObjectRef | undefined): { namespace: string; name: string } {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

/** Creates the SessionService implementation. */
export function createSessionService(options: SessionServiceOptions): ServiceImpl<typeof SessionService> {
  const { orm, sessions, notifier } = options;
  const factory = { orm, store: sessions, agents: new AgentStore(orm), runtime: options.runtime ?? "process" };
  const view = async (row: SessionRow) => toSession(orm.em.fork(), (await sessions.findById(row.id)) ?? row);
  const get = (ref: ObjectRef | undefined) => {
    const { namespace, name } = refOf(ref);
    return sessions.get(namespace, name);
  };
  /** Runs `fn` on the named session under its row lock, then returns the session as it stands. */
  const change = async (ref: ObjectRef | undefined, fn: Parameters<SessionStore["withLocked"]>[1]) => {
    const row = await get(ref);
    await sessions.withLocked(row.id, fn);
    return { session: await view(row) };
  };

  return {
    async createSession(req, ctx) {
      const session = req.session!;
      const meta = session.metadata!;
      const row = await createSession(factory, {
        namespace: meta.namespace,
        name: meta.name,
        spec: session.spec!,
        labels: { ...meta.labels },
        annotations: { ...meta.annotations },
        creator: callerOf(ctx),
      });
      return { session: await view(row) };
    },
    async getSession(req) {
      return { session: await view(await get(req.ref)) };
    },
    async listSessions(req, ctx) {
      const scope = ctx.values.get(kListScope);
      let parentId: string | undefined;
      if (req.parent) {
        const parent = await sessions.get(req.namespace, req.parent).catch((error: unknown) => {
          if (error instanceof ConnectError && error.code === Code.NotFound) return undefined;
          throw error;
        });
        if (!parent) return { sessions: [], nextPageToken: "" };
        parentId = parent.id;
      }
      const page = await sessions.list({
        namespace: req.namespace || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
        states: req.states.map(fromApiState).filter((s): s is SessionStateName => s !== undefined),
        creator: req.creator || undefined,
        parentId,
      });
      return { sessions: await toSessions(orm.em.fork(), page.items), nextPageToken: page.nextPageToken };
    },
    async deleteSession(req) {
      return change(req.ref, (em, row) => terminate(sessions, em, row, req.retainVolume));
    },
    async pauseSession(req) {
      return change(req.ref, (em, row) => pause(sessions, em, row));
    },
    async resumeSession(req) {
      return change(req.ref, (em, row) => resume(sessions, em, row));
    },
    async remixSession(req, ctx) {
      const source = await get(req.source);
      const point = await remixPoint(orm.em.fork(), source, req.atTurn);
      const row = await createSession(factory, remixDraft(source, req, callerOf(ctx), point));
      return { session: await view(row) };
    },
    async sendMessage(req, ctx) {
      const row = await get(req.ref);
      const sender = callerOf(ctx);
      return sessions.withLocked(row.id, (em, locked) =>
        sendMessage(sessions, em, locked, { text: req.text, agent: req.agent, sender, idempotencyKey: req.idempotencyKey }),
      );
    },
    async listEvents(req) {
      const row = await get(req.ref);
      const limit = req.limit === 0 ? 100 : Math.min(req.limit, 1000);
      const page = await readEventPage(orm.em.fork(), row.id, req.fromSeq, {
        limit,
        maxBytes: options.listEventsMaxBytes ?? 2 * 1024 * 1024,
        ...(req.turn === undefined ? {} : { turn: req.turn }),
      });
      return { events: page.events, hasMore: page.hasMore };
    },
    async *watchSession(req, ctx) {
      const row = await get(req.ref);
      const deps = { orm, notifier, ...(options.stopping ? { stopping: options.stopping } : {}) };
      yield* watchSessionEvents(deps, row.id, req.fromSeq, ctx.signal, options.watch);
    },
    async cancelTurn(req, ctx) {
      const row = await get(req.ref);
      const by = callerOf(ctx);
      const turn = await sessions.withLocked(row.id, (em, locked) => cancelTurn(sessions, em, locked, req.turn, req.reason, by));
      return { turn };
    },
    async approveToolCall(req, ctx) {
      const row = await get(req.ref);
      const by = callerOf(ctx);
      await sessions.withLocked(row.id, (em, locked) =>
        decideApproval(sessions, em, locked, { toolCallId: req.toolCallId, approve: req.approve, reason: req.reason, by }),
      );
      return {};
    },
    async listTurns(req) {
      const row = await get(req.ref);
      return listTurns(orm.em.fork(), row.id, req.pageSize, req.pageToken);
    },
  };
}
