/** The Session kind: running instances of agents, each with its own runtime and volume. */
import { createClient } from "@connectrpc/connect";
import { SessionState, SessionStateSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionSchema, SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { enumShortName } from "../enums.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(SessionService, conn.transport);

/** A session's state as tables show it, e.g. `Ready`. */
export function stateName(session: Session): string {
  return enumShortName(SessionStateSchema, session.status?.state ?? SessionState.UNSPECIFIED);
}

/** Where a remixed session came from, as `source@turn`; `-` for a session created directly. */
export function parentCell(session: Session): string {
  const lineage = session.lineage;
  return lineage ? `${lineage.parent?.name || lineage.parentUid}@${lineage.parentTurn}` : "-";
}

/** Sessions: `raworc sessions` (alias `session`); tables show state, agents, turns and lineage. */
export const sessionKind = defineKind<Session>({
  kind: "Session",
  singular: "session",
  plural: "sessions",
  aliases: ["session"],
  namespaced: "required",
  schema: SessionSchema,
  columns: ["state", "agents", "turns", "parent", "creator"],
  cells: (session) => {
    const creator = session.creator;
    return [
      stateName(session),
      session.spec?.agents.join(",") ?? "",
      session.status?.turnCount ?? 0,
      parentCell(session),
      creator?.name ? (creator.namespace ? `${creator.namespace}/${creator.name}` : creator.name) : "-",
    ];
  },
  async create(conn, session) {
    return returned((await client(conn).createSession({ session }, { signal: conn.signal })).session, "session");
  },
  async get(conn, ref) {
    return returned((await client(conn).getSession({ ref }, { signal: conn.signal })).session, "session");
  },
  async list(conn, query) {
    const res = await client(conn).listSessions(query, { signal: conn.signal });
    return { items: res.sessions, nextPageToken: res.nextPageToken };
  },
  async delete(conn, ref) {
    const left = returned((await client(conn).deleteSession({ ref }, { signal: conn.signal })).session, "session");
    return left.status?.state === SessionState.TERMINATED ? undefined : left;
  },
});
