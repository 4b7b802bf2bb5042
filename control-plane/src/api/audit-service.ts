/** AuditService: reads the audit log, newest first, within the caller's list scope; nothing writes through it. */
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceImpl } from "@connectrpc/connect";
import { AuditEventSchema, type AuditEvent, type AuditService } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { parseUsername } from "../auth/usernames.js";
import { kListScope } from "../context.js";
import type { AuditEventStore, StoredAuditEvent } from "../store/audit-events.js";

/** The API form of a stored audit record; calls without valid credentials carry no principal (the username tried is in reason). */
export function toAuditEvent(row: StoredAuditEvent): AuditEvent {
  return create(AuditEventSchema, {
    id: row.id,
    time: timestampFromDate(row.time),
    principal: row.principalKind ? { kind: row.principalKind, ...parseUsername(row.principal) } : undefined,
    action: row.action,
    apiGroup: row.apiGroup,
    resource: row.resource,
    verb: row.verb,
    namespace: row.namespace,
    name: row.name,
    result: row.result,
    reason: row.reason,
    requestId: row.requestId,
    clientAddress: row.clientAddress,
    userAgent: row.userAgent,
  });
}

/** Creates the AuditService implementation. */
export function createAuditService(events: AuditEventStore): ServiceImpl<typeof AuditService> {
  return {
    async listAuditEvents(req, ctx) {
      const scope = ctx.values.get(kListScope);
      const page = await events.list({
        since: req.since ? timestampDate(req.since) : undefined,
        until: req.until ? timestampDate(req.until) : undefined,
        principal: req.principal || undefined,
        namespace: req.namespace || undefined,
        action: req.action || undefined,
        result: req.result || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { events: page.items.map(toAuditEvent), nextPageToken: page.nextPageToken };
    },
  };
}
