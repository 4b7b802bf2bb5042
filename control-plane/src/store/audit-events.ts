/** Appends to and pages through the audit log; there is deliberately no update or delete. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { Orm } from "./orm.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "./page-token.js";

/** One audit record as written; every field is plain text so that any call can be recorded. */
export interface AuditRecord {
  readonly time: Date;
  /** "name" or "namespace/name"; the attempted username of a failed login; "system:anonymous" without credentials. */
  readonly principal: string;
  /** "ServiceAccount" once authenticated; "" when the credentials were missing or wrong. */
  readonly principalKind: string;
  readonly action: string;
  readonly apiGroup: string;
  /** The resource with its subresource, e.g. "serviceaccounts/password". */
  readonly resource: string;
  readonly verb: string;
  readonly namespace: string;
  readonly name: string;
  /** A gRPC code name, e.g. "OK" or "PERMISSION_DENIED". */
  readonly result: string;
  readonly reason: string;
  readonly requestId: string;
  readonly clientAddress: string;
  readonly userAgent: string;
}

/** A stored audit record with its id. */
export interface StoredAuditEvent extends AuditRecord {
  readonly id: string;
}

/** A page request over the audit log; every filter that is set must match. */
export interface AuditQuery {
  readonly since?: Date;
  readonly until?: Date;
  readonly principal?: string;
  readonly namespace?: string;
  /** Exact action, or every action starting with it when it ends in "/". */
  readonly action?: string;
  readonly result?: string;
  /** When set, only these namespaces (the caller's list scope). */
  readonly namespaces?: readonly string[];
  readonly pageSize: number;
  readonly pageToken: string;
}

// Column and field, in insert order.
const fields = [
  ["time", "time"],
  ["principal", "principal"],
  ["principal_kind", "principalKind"],
  ["action", "action"],
  ["api_group", "apiGroup"],
  ["resource", "resource"],
  ["verb", "verb"],
  ["namespace", "namespace"],
  ["name", "name"],
  ["result", "result"],
  ["reason", "reason"],
  ["request_id", "requestId"],
  ["client_address", "clientAddress"],
  ["user_agent", "userAgent"],
] as const satisfies readonly (readonly [string, keyof AuditRecord])[];
const columns = fields.map(([column]) => `"${column}"`).join(", ");
const textColumns = fields.filter(([column]) => column !== "time").map(([column]) => `"${column}"`).join(", ");

const insertSql = `insert into "audit_events" (${columns}) values (${fields.map(() => "?").join(", ")})`;

// Fields come from requests the server may be about to refuse, so they are bounded here: an
// oversized or NUL-bearing value must not make the audit insert itself fail.
const maxFieldLength = 1024;

function clean(value: string): string {
  const bounded = value.length > maxFieldLength ? `${value.slice(0, maxFieldLength)}…` : value;
  return bounded.replaceAll("\u0000", "\uFFFD");
}

interface Row {
  id: string;
  time_key: string;
  principal: string;
  principal_kind: string;
  action: string;
  api_group: string;
  resource: string;
  verb: string;
  namespace: string;
  name: string;
  result: string;
  reason: string;
  request_id: string;
  client_address: string;
  user_agent: string;
}

// The time as ISO text with microseconds: exact in page tokens (PostgreSQL reads it back losslessly),
// and independent of how the driver is configured to parse timestamps.
const timeKeySql = `to_char("time" at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const timeKeyPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Escapes LIKE wildcards so that an action prefix matches literally. */
function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Appends one record through `em`, inside its transaction: records of what a daemon reported are committed with the events they describe. */
export async function appendAuditRecordIn(em: Pick<EntityManager, "execute">, record: AuditRecord): Promise<void> {
  await em.execute(insertSql, fields.map(([, key]) => (key === "time" ? record.time : clean(record[key]))), "run");
}

/** The audit log in PostgreSQL: one INSERT per record, keyset pages newest first. */
export class AuditEventStore {
  constructor(private readonly orm: Orm) {}

  /** Appends one record. */
  async append(record: AuditRecord): Promise<void> {
    const values = fields.map(([, key]) => (key === "time" ? record.time : clean(record[key])));
    await this.orm.em.getConnection().execute(insertSql, values, "run");
  }

  /** Lists records ordered by (time, id) descending, one page at a time. */
  async list(query: AuditQuery): Promise<{ items: StoredAuditEvent[]; nextPageToken: string }> {
    const size = effectivePageSize(query.pageSize);
    const after = decodePageToken(query.pageToken, 2);
    if (after && !(timeKeyPattern.test(after[0]!) && /^[1-9][0-9]{0,18}$/.test(after[1]!))) {
      throw new ConnectError("invalid page_token", Code.InvalidArgument);
    }
    if (query.namespaces?.length === 0) return { items: [], nextPageToken: "" };
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, ...values: unknown[]) => {
      where.push(sql);
      params.push(...values);
    };
    if (query.since) add(`"time" >= ?`, query.since);
    if (query.until) add(`"time" < ?`, query.until);
    if (query.principal) add(`"principal" = ?`, query.principal);
    if (query.namespace) add(`"namespace" = ?`, query.namespace);
    if (query.action) {
      if (query.action.endsWith("/")) add(`"action" like ?`, likePrefix(query.action));
      else add(`"action" = ?`, query.action);
    }
    if (query.result) add(`"result" = ?`, query.result);
    if (query.namespaces) add(`"namespace" in (${query.namespaces.map(() => "?").join(", ")})`, ...query.namespaces);
    if (after) add(`("time", "id") < (?::timestamptz, ?::bigint)`, ...after);
    const rows = await this.orm.em.getConnection().execute<Row[]>(
      `select "id"::text as "id", ${textColumns}, ${timeKeySql} as "time_key"
         from "audit_events"
        ${where.length ? `where ${where.join(" and ")}` : ""}
        order by "time" desc, "id" desc
        limit ${size + 1}`,
      params,
    );
    const items = rows.slice(0, size);
    const last = items.at(-1);
    return { items: items.map(fromRow), nextPageToken: rows.length > size && last ? encodePageToken([last.time_key, last.id]) : "" };
  }
}

function fromRow(row: Row): StoredAuditEvent {
  return {
    id: row.id,
    time: new Date(row.time_key),
    principal: row.principal,
    principalKind: row.principal_kind,
    action: row.action,
    apiGroup: row.api_group,
    resource: row.resource,
    verb: row.verb,
    namespace: row.namespace,
    name: row.name,
    result: row.result,
    reason: row.reason,
    requestId: row.request_id,
    clientAddress: row.client_address,
    userAgent: row.user_agent,
  };
}
