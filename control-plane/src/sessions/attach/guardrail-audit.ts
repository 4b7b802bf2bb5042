/**
 * The audit hook for guardrail decisions: every GuardrailDecision a daemon reports becomes an
 * audit row when its event is stored, in the same transaction (so a resent event, skipped as a
 * duplicate, is not audited twice). The row's principal is the session (kind "Session"), its
 * action "guardrail/<stage>", its result OK for allow, redact and approval requests and
 * PERMISSION_DENIED for a denial; the reason names the rule (a path into the agent spec), never
 * the content the guardrail matched.
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { EntityManager } from "@mikro-orm/postgresql";
import { GuardrailAction, GuardrailStage, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { formatUsername } from "../../auth/usernames.js";
import { appendAuditRecordIn, type AuditRecord } from "../../store/audit-events.js";
import type { SessionRow } from "../../store/entities/session.js";

const stageNames: Record<GuardrailStage, string> = {
  [GuardrailStage.UNSPECIFIED]: "unspecified",
  [GuardrailStage.INPUT]: "input",
  [GuardrailStage.TOOL_CALL]: "tool_call",
  [GuardrailStage.OUTPUT]: "output",
  [GuardrailStage.BUDGET]: "budget",
};

const actionNames: Record<GuardrailAction, string> = {
  [GuardrailAction.UNSPECIFIED]: "unspecified",
  [GuardrailAction.ALLOW]: "allow",
  [GuardrailAction.DENY]: "deny",
  [GuardrailAction.REDACT]: "redact",
  [GuardrailAction.REQUIRE_APPROVAL]: "require_approval",
};

/** The audit record of one stored GuardrailDecision event of session `row`, or undefined for any other event. */
export function guardrailAuditRecord(row: Pick<SessionRow, "namespace" | "name">, event: SessionEvent): AuditRecord | undefined {
  if (event.payload.case !== "guardrailDecision") return undefined;
  const decision = event.payload.value;
  const context = [`turn ${event.turn}`, ...(event.agent ? [`agent ${event.agent}`] : []), ...(decision.toolCallId ? [`tool call ${decision.toolCallId}`] : [])].join(", ");
  return {
    time: event.time ? timestampDate(event.time) : new Date(),
    principal: formatUsername(row),
    principalKind: "Session",
    action: `guardrail/${stageNames[decision.stage] ?? "unspecified"}`,
    apiGroup: "core",
    resource: "sessions",
    verb: actionNames[decision.action] ?? "unspecified",
    namespace: row.namespace,
    name: row.name,
    result: decision.action === GuardrailAction.DENY ? "PERMISSION_DENIED" : "OK",
    reason: `${decision.rule}: ${decision.reason} (${context})`,
    requestId: "",
    clientAddress: "",
    userAgent: "",
  };
}

/** Writes the audit rows of the guardrail decisions among `stored` (events just stored for `row`), inside `em`'s transaction. */
export async function auditGuardrailDecisions(em: EntityManager, row: SessionRow, stored: readonly { readonly event: SessionEvent }[]): Promise<void> {
  for (const { event } of stored) {
    const record = guardrailAuditRecord(row, event);
    if (record) await appendAuditRecordIn(em, record);
  }
}
