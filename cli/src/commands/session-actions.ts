/** The cores of `raworc sessions` subcommands as plain functions: build requests from flags, call, return what to print. */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { SessionState, SessionStateSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionSchema, SessionService, type Session, type Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { parseDuration } from "../durations.js";
import { UsageError } from "../errors.js";
import { parseEnum } from "../objects/enums.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { sessionKind } from "../objects/kinds/session.js";
import { parseLabelFlags } from "../objects/labels.js";
import { namespaceFor } from "./object-commands.js";

const client = (conn: Connection) => createClient(SessionService, conn.transport);

/** Flags of `sessions create`. */
export interface CreateSessionFlags {
  readonly namespace?: string;
  readonly name?: string;
  readonly agent?: string[];
  readonly prompt?: string;
  readonly label?: string[];
  readonly idleTimeout?: string;
  readonly cpu?: string;
  readonly memory?: string;
  readonly storage?: string;
}

/** The session `sessions create` sends. */
export function sessionFromFlags(flags: CreateSessionFlags): Session {
  if (!flags.agent?.length) throw new UsageError("give the session's agents: --agent NAME (repeatable; the first is the default)");
  return create(SessionSchema, {
    metadata: { name: flags.name ?? "", namespace: namespaceFor(sessionKind, flags.namespace), labels: parseLabelFlags(flags.label ?? []).set },
    spec: {
      agents: flags.agent,
      initialPrompt: flags.prompt ?? "",
      resources: { cpu: flags.cpu ?? "", memory: flags.memory ?? "", storage: flags.storage ?? "" },
      ...(flags.idleTimeout === undefined ? {} : { idleTimeout: durationFromMs(parseDuration(flags.idleTimeout)) }),
    },
  });
}

/** `--state` values (any spelling, comma-separated, or `all`) as API states; none means every state but TERMINATED. */
export function parseStates(values: readonly string[]): SessionState[] {
  if (values.some((v) => v.toLowerCase() === "all")) return SessionStateSchema.values.map((v) => v.number as SessionState).filter((n) => n !== SessionState.UNSPECIFIED);
  return values.map((v) => parseEnum(SessionStateSchema, v, "state") as SessionState);
}

/** What `sessions list` selects. */
export interface SessionSelection {
  /** "" for every namespace the caller may see. */
  readonly namespace: string;
  readonly labelSelector: string;
  readonly states: readonly SessionState[];
  readonly creator: string;
  readonly parent: string;
}

/** Every session matching the selection, following pages. */
export async function listSessions(conn: Connection, selection: SessionSelection): Promise<Session[]> {
  if (selection.parent && !selection.namespace) throw new UsageError("--parent needs -n NAMESPACE");
  const out: Session[] = [];
  let pageToken = "";
  do {
    const res = await client(conn).listSessions({ ...selection, states: [...selection.states], pageSize: 500, pageToken }, { signal: conn.signal });
    out.push(...res.sessions);
    if (res.nextPageToken === pageToken) break;
    pageToken = res.nextPageToken;
  } while (pageToken);
  return out;
}

/** Asks for a change of what a session should be; returns the session as it then stands. */
export async function changeSession(conn: Connection, ref: ObjectRefText, change: "pause" | "resume" | "delete", retainVolume = false): Promise<Session> {
  const c = client(conn);
  const opts = { signal: conn.signal };
  const res =
    change === "pause" ? await c.pauseSession({ ref }, opts) : change === "resume" ? await c.resumeSession({ ref }, opts) : await c.deleteSession({ ref, retainVolume }, opts);
  if (!res.session) throw new Error("the server's response carried no session");
  return res.session;
}

/** Flags of `sessions remix`. */
export interface RemixFlags {
  readonly namespace?: string;
  readonly name?: string;
  readonly label?: string[];
  readonly prompt?: string;
  readonly atTurn?: number;
}

/** Creates a session from another's state at the end of a turn (flags.atTurn, default its latest); returns the new session. */
export async function remixSession(conn: Connection, source: string, flags: RemixFlags): Promise<Session> {
  const res = await client(conn).remixSession(
    {
      source: { namespace: namespaceFor(sessionKind, flags.namespace), name: source },
      name: flags.name ?? "",
      labels: parseLabelFlags(flags.label ?? []).set,
      initialPrompt: flags.prompt ?? "",
      ...(flags.atTurn === undefined ? {} : { atTurn: flags.atTurn }),
    },
    { signal: conn.signal },
  );
  if (!res.session) throw new Error("the server's response carried no session");
  return res.session;
}

/** Sends a user message; returns its id and the seq of its event. */
export async function sendMessage(conn: Connection, ref: ObjectRefText, text: string, agent = "", idempotencyKey = ""): Promise<{ messageId: string; seq: bigint }> {
  const res = await client(conn).sendMessage({ ref, text, agent, idempotencyKey }, { signal: conn.signal });
  return { messageId: res.messageId, seq: res.seq };
}

/** The session's stored events after `fromSeq` (of one turn, when given), up to `limit` (0: all), following pages. */
export async function listEvents(conn: Connection, ref: ObjectRefText, query: { fromSeq: bigint; turn?: number; limit: number }): Promise<SessionEvent[]> {
  const out: SessionEvent[] = [];
  let from = query.fromSeq;
  for (;;) {
    const want = query.limit > 0 ? Math.min(1000, query.limit - out.length) : 1000;
    const res = await client(conn).listEvents({ ref, fromSeq: from, limit: want, ...(query.turn === undefined ? {} : { turn: query.turn }) }, { signal: conn.signal });
    out.push(...res.events);
    const last = res.events.at(-1);
    if (!res.hasMore || !last || (query.limit > 0 && out.length >= query.limit)) return out;
    from = last.seq;
  }
}

/** Every turn of the session, oldest first. */
export async function listTurns(conn: Connection, ref: ObjectRefText): Promise<Turn[]> {
  const out: Turn[] = [];
  let pageToken = "";
  do {
    const res = await client(conn).listTurns({ ref, pageSize: 1000, pageToken }, { signal: conn.signal });
    out.push(...res.turns);
    if (res.nextPageToken === pageToken) break;
    pageToken = res.nextPageToken;
  } while (pageToken);
  return out;
}

/** Asks the session's daemon to stop its running turn (only `turn`, when given); returns the turn asked to stop, 0 when none ran. */
export async function cancelTurn(conn: Connection, ref: ObjectRefText, reason: string, turn?: number): Promise<number> {
  const res = await client(conn).cancelTurn({ ref, reason, ...(turn === undefined ? {} : { turn }) }, { signal: conn.signal });
  return res.turn;
}

/** Answers a tool call waiting for approval in a session (approve runs it, deny refuses it). */
export async function decideToolCall(conn: Connection, ref: ObjectRefText, toolCallId: string, approve: boolean, reason = ""): Promise<void> {
  await client(conn).approveToolCall({ ref, toolCallId, approve, reason }, { signal: conn.signal });
}
