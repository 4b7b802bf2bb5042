/**
 * Appends one audit record for every mutating call (whatever its outcome), every denial
 * (PERMISSION_DENIED anywhere, UNAUTHENTICATED on methods that are not public) and every login
 * attempt. It sits outside the error-mapping interceptor, so it records the code the client
 * actually receives, and reads the caller and the access decision that authorization left on
 * the call's context values.
 */
import { isMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import { AuthService, LoginRequestSchema, LoginResponseSchema } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { Counter, type Registry } from "prom-client";
import { formatUsername } from "../auth/usernames.js";
import { kAccess, kCaller, kClientAddress, kDaemon, kRequestId } from "../context.js";
import type { Logger } from "../logger.js";
import { accessEntry, type AccessEntry } from "../rbac/access-table.js";
import type { AuditEventStore, AuditRecord } from "../store/audit-events.js";

/** The principal recorded for calls that presented no valid credentials, as Kubernetes names it; no account can be called this. */
export const anonymousPrincipal = "system:anonymous";

// gRPC code names by number; connect-es names differ in case and spell CANCELLED "Canceled".
const codeNames = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;

/** Dependencies of the audit interceptor. */
export interface AuditInterceptorOptions {
  readonly store: AuditEventStore;
  /** Where a record that could not be written goes instead, at error level. */
  readonly logger: Logger;
  /** Registry for the `raworc_audit_write_failures_total` counter. */
  readonly registry?: Registry;
  /** How long a call waits for its record to be written before answering anyway (default 2000 ms). */
  readonly writeTimeoutMs?: number;
}

type AnyRequest = UnaryRequest | StreamRequest;

// Connect has no Code member for success.
const ok = 0 as const;

/** What a finished call looked like to the client. */
interface Outcome {
  /** A Code, or 0 for OK. */
  readonly code: Code | typeof ok;
  readonly reason: string;
  /** The principal of a successful login, from its response. */
  readonly loggedIn?: { namespace: string; name: string };
}

const isLogin = (req: AnyRequest) => req.service.typeName === AuthService.typeName && req.method.name === "Login";

function mustAudit(req: AnyRequest, entry: AccessEntry | undefined, code: Code | typeof ok): boolean {
  if (isLogin(req) || code === Code.PermissionDenied) return true;
  // A daemon stream refused for what it sent (garbage, skipped seqs, forged events) is bad input
  // worth a record; streams that end for ordinary reasons are not.
  if (entry?.kind === "daemon" && code === Code.InvalidArgument) return true;
  if (code === Code.Unauthenticated && entry?.kind !== "public") return true;
  return req.contextValues.get(kAccess)?.mutating ?? (entry !== undefined && "mutating" in entry && entry.mutating);
}

function outcomeOf(error: unknown): Outcome {
  // Errors arrive already mapped (the error-mapping interceptor is inside this one).
  const e = ConnectError.from(error);
  return { code: e.code, reason: e.rawMessage };
}

/** Builds the record of a finished call from its context values and, for a login, its messages. */
function recordOf(req: AnyRequest, entry: AccessEntry | undefined, outcome: Outcome): AuditRecord {
  const values = req.contextValues;
  const caller = values.get(kCaller);
  const daemon = values.get(kDaemon);
  const message = req.stream ? undefined : (req.message as Record<string, unknown>);
  let principal = caller ? formatUsername(caller) : daemon ? `session:${daemon.sessionId}` : anonymousPrincipal;
  let principalKind: string = caller?.kind ?? (daemon ? "Session" : "");
  let reason = outcome.reason;
  if (isLogin(req)) {
    const attempted = isMessage(message, LoginRequestSchema) ? message.username : "";
    principal = outcome.loggedIn ? formatUsername(outcome.loggedIn) : attempted;
    principalKind = outcome.loggedIn ? "ServiceAccount" : "";
    // The API shows no principal for a failed login, so the username tried goes in the reason.
    if (!outcome.loggedIn) reason = `${reason} (username ${JSON.stringify(attempted.slice(0, 128))})`;
  }
  // Authorization records what it checked; when it stopped earlier (no valid token), the table
  // still says what the call would have touched.
  const spec = entry?.kind === "check" ? entry : undefined;
  const a = values.get(kAccess)?.attributes ?? (spec && { ...spec, namespace: message ? spec.namespace(message) : "", name: message ? spec.name(message) : "" });
  return {
    time: new Date(),
    principal,
    principalKind,
    action: `${req.service.typeName}/${req.method.name}`,
    apiGroup: a?.group ?? "",
    resource: a ? (a.subresource ? `${a.resource}/${a.subresource}` : a.resource) : "",
    verb: a?.verb ?? "",
    namespace: a?.namespace ?? "",
    name: a?.name ?? "",
    result: codeNames[outcome.code] ?? "UNKNOWN",
    reason,
    requestId: values.get(kRequestId),
    clientAddress: values.get(kClientAddress),
    userAgent: req.header.get("user-agent") ?? "",
  };
}

/** The audit interceptor; place it between the access log and the error-mapping interceptor. */
export function auditInterceptor(options: AuditInterceptorOptions): Interceptor {
  const { store, logger } = options;
  const failures = new Counter({
    name: "raworc_audit_write_failures_total",
    help: "Audit records that could not be written to the database (they are in the error log instead).",
    registers: options.registry ? [options.registry] : [],
  });
  const writeTimeoutMs = options.writeTimeoutMs ?? 2000;
  // Awaited, so the record exists before the client hears the outcome. A failed write does not
  // change that outcome: the call has already taken effect, and failing it would invite a retry of
  // a committed change. The record is logged whole instead, and counted, so it is neither lost nor
  // silent. The wait is bounded so that a stalled database does not double every call's latency.
  const write = async (req: AnyRequest, entry: AccessEntry | undefined, outcome: Outcome) => {
    if (!mustAudit(req, entry, outcome.code)) return;
    const record = recordOf(req, entry, outcome);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        store.append(record),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`audit write took longer than ${writeTimeoutMs} ms`)), writeTimeoutMs);
        }),
      ]);
    } catch (err) {
      failures.inc();
      logger.error({ err, audit: record }, "audit record not written; this log line is its copy");
    } finally {
      clearTimeout(timer);
    }
  };

  return (next) => async (req) => {
    const entry = accessEntry(req.service.typeName, req.method.name);
    let res;
    try {
      res = await next(req);
    } catch (error) {
      await write(req, entry, outcomeOf(error));
      throw error;
    }
    if (!res.stream) {
      const loggedIn = isLogin(req) && isMessage(res.message, LoginResponseSchema) ? res.message.principal : undefined;
      await write(req, entry, { code: ok, reason: "", loggedIn });
      return res;
    }
    const inner = res.message;
    return {
      ...res,
      message: (async function* () {
        let ended = false;
        try {
          yield* inner;
          ended = true;
          await write(req, entry, { code: ok, reason: "" });
        } catch (error) {
          ended = true;
          await write(req, entry, outcomeOf(error));
          throw error;
        } finally {
          if (!ended) await write(req, entry, { code: Code.Canceled, reason: "the client went away" });
        }
      })(),
    };
  };
}
