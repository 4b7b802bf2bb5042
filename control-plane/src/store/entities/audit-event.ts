/** The `audit_events` table: the append-only record of mutating calls, denials and logins. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** The trigger body that refuses any change to an audit row (also used by the migration). */
export const appendOnlyBody = `raise exception 'audit_events is append-only: % is not allowed', tg_op using errcode = 'insufficient_privilege';`;

/** MikroORM schema of an audit row; the database refuses UPDATE, DELETE and TRUNCATE on it (migration 0003). */
export const AuditEventSchema = defineEntity({
  name: "AuditEvent",
  tableName: "audit_events",
  // Every filter is an equality followed by the newest-first order, so each index ends in (time, id).
  indexes: [
    { name: "audit_events_time_id_index", properties: ["time", "id"] },
    { name: "audit_events_principal_time_id_index", properties: ["principal", "time", "id"] },
    { name: "audit_events_namespace_time_id_index", properties: ["namespace", "time", "id"] },
    { name: "audit_events_result_time_id_index", properties: ["result", "time", "id"] },
    {
      // text_pattern_ops serves both exact actions and the "Service/" prefix filter (LIKE 'x%').
      name: "audit_events_action_time_id_index",
      expression: `create index "audit_events_action_time_id_index" on "audit_events" ("action" text_pattern_ops, "time", "id")`,
    },
  ],
  // Append-only below the API: the row trigger is declared here so the schema diff checks its body;
  // the TRUNCATE trigger, which MikroORM cannot see, is only in the migration.
  triggers: [{ name: "append_only", timing: "before", events: ["update", "delete"], forEach: "row", body: appendOnlyBody }],
  properties: {
    id: p.bigint("string").primary().autoincrement(),
    time: p.datetime(),
    /** "name" or "namespace/name"; the attempted username of a failed login; "system:anonymous" without credentials. */
    principal: p.text(),
    /** "ServiceAccount" once authenticated; "" when the credentials were missing or wrong. */
    principalKind: p.string().length(32),
    action: p.text(),
    apiGroup: p.text(),
    /** The resource with its subresource, e.g. "serviceaccounts/password". */
    resource: p.text(),
    verb: p.text(),
    namespace: p.text(),
    name: p.text(),
    /** A gRPC code name: "OK", "PERMISSION_DENIED", ... */
    result: p.string().length(32),
    reason: p.text(),
    requestId: p.text(),
    clientAddress: p.text(),
    userAgent: p.text(),
  },
});

/** An audit row. */
export type AuditEventRow = InferEntity<typeof AuditEventSchema>;
