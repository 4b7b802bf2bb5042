/** `raworc audit`: the audit log, newest first, filtered by time, principal, namespace, action and result. */
import { create, toJson } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { registry } from "@raworc/proto";
import { AuditEventSchema, AuditService, ListAuditEventsRequestSchema, type AuditEvent, type ListAuditEventsRequest } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { InvalidArgumentError, type Command } from "commander";
import { connect } from "../connection.js";
import { parseTimeFlag } from "../durations.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import type { Connection } from "../objects/kind.js";
import { formatOutput, parseOutputFormat, type Table } from "../output.js";
import type { GlobalOptions } from "../target.js";

/** Flags of `raworc audit`. */
export interface AuditFlags {
  readonly since?: string;
  readonly until?: string;
  readonly principal?: string;
  readonly namespace?: string;
  readonly action?: string;
  readonly result?: string;
  readonly limit?: number;
}

/** The result codes the log records, as the API names them. */
export const resultCodes = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
] as const;

/** A result code in any spelling (`PermissionDenied`, `permission_denied`, `permission-denied`, `Canceled`) as the API names it. */
export function parseResultCode(text: string): string {
  const squash = (s: string) => s.replace(/[-_\s]/g, "").toLowerCase();
  const wanted = squash(text) === "canceled" ? "cancelled" : squash(text);
  const code = resultCodes.find((c) => squash(c) === wanted);
  if (!code) throw new UsageError(`--result: unknown code "${text}" (e.g. OK, PermissionDenied, InvalidArgument, NotFound)`);
  return code;
}

/** An action with the package added where it was left out: `RbacService/CreateRole` → `raworc.v1.RbacService/CreateRole`, `SecretService` → every SecretService method. */
export function parseAction(text: string): string {
  const slash = text.indexOf("/");
  const service = slash < 0 ? text : text.slice(0, slash);
  if (service.includes(".") || !/Service$/.test(service)) return text;
  return `raworc.v1.${service}/${slash < 0 ? "" : text.slice(slash + 1)}`;
}

/** The request for the flags, without paging; `now` anchors relative times such as `--since 1h`. */
export function auditQuery(flags: AuditFlags, now: Date = new Date()): ListAuditEventsRequest {
  const since = flags.since === undefined ? undefined : parseTimeFlag(flags.since, "--since", now);
  const until = flags.until === undefined ? undefined : parseTimeFlag(flags.until, "--until", now);
  if (since && until && since > until) throw new UsageError("--since is after --until");
  return create(ListAuditEventsRequestSchema, {
    ...(since ? { since: timestampFromDate(since) } : {}),
    ...(until ? { until: timestampFromDate(until) } : {}),
    principal: flags.principal ?? "",
    namespace: flags.namespace ?? "",
    action: flags.action === undefined ? "" : parseAction(flags.action),
    result: flags.result === undefined ? "" : parseResultCode(flags.result),
  });
}

/** Up to `limit` events (0: all of them), newest first, following pages as needed. */
export async function listAuditEvents(conn: Connection, query: ListAuditEventsRequest, limit: number): Promise<AuditEvent[]> {
  const client = createClient(AuditService, conn.transport);
  const out: AuditEvent[] = [];
  let pageToken = "";
  do {
    const pageSize = limit > 0 ? Math.min(limit - out.length, 1000) : 1000;
    const res = await client.listAuditEvents({ ...query, pageSize, pageToken }, { signal: conn.signal });
    out.push(...res.events);
    if (res.nextPageToken === pageToken) break;
    pageToken = res.nextPageToken;
  } while (pageToken && (limit === 0 || out.length < limit));
  return limit > 0 ? out.slice(0, limit) : out;
}

/** Who acted: `team-a/alice`, `admin`, `Session:team-a/s1`; `-` for calls without valid credentials. */
function principalCell(event: AuditEvent): string {
  const p = event.principal;
  if (!p?.name) return "-";
  const name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
  return !p.kind || p.kind === "ServiceAccount" ? name : `${p.kind}:${name}`;
}

/** The object as a path, subresource last: `team-a/rolebindings/escalate`, `team-a/serviceaccounts/alice/password`, `team-a/secrets`. */
function objectCell(event: AuditEvent): string {
  const [resource, subresource] = event.resource.split("/", 2);
  return [event.namespace, resource, event.name, subresource].filter(Boolean).join("/");
}

/** The table of events: TIME, PRINCIPAL, ACTION, OBJECT, RESULT, REQUEST ID, REASON. */
export function auditTable(events: readonly AuditEvent[]): Table {
  return {
    columns: ["time", "principal", "action", "object", "result", "request id", "reason"],
    rows: events.map((e) => [
      e.time ? timestampDate(e.time).toISOString().replace(/\.\d{3}Z$/, "Z") : "",
      principalCell(e),
      e.action.replace(/^raworc\.v1\./, ""),
      objectCell(e),
      e.result,
      e.requestId,
      e.reason,
    ]),
  };
}

function parseLimit(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number (0 for no limit)");
  return Number(value);
}

/** Adds `audit` to the program. */
export function configureAuditCommand(program: Command, io: Io): void {
  program
    .command("audit")
    .description("show the audit log, newest first: every change and every refusal")
    .option("--since <time>", "only events at or after this time: a duration ago (1h, 30m, 2d) or RFC 3339")
    .option("--until <time>", "only events before this time: a duration ago or RFC 3339")
    .option("--principal <username>", "only events by this service account (name, or namespace/name)")
    .option("-n, --namespace <namespace>", "only events about objects in this namespace")
    .option("--action <action>", "only this method (RbacService/CreateRoleBinding) or service (SecretService/)")
    .option("--result <code>", "only this result, e.g. OK, PermissionDenied, InvalidArgument")
    .option("--limit <n>", "at most this many events (0: all)", parseLimit, 100)
    .addHelpText("after", "\nExample:\n  raworc audit --since 1h --result PermissionDenied")
    .action(async (flags: AuditFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const events = await listAuditEvents(await connect(globals, io), auditQuery(flags), flags.limit ?? 100);
      if (format === "table" && events.length === 0) {
        io.stderr.write("No audit events found.\n");
        return;
      }
      const json = { events: events.map((e) => toJson(AuditEventSchema, e, { registry })) };
      io.stdout.write(formatOutput(json, format, () => auditTable(events)));
    });
}
