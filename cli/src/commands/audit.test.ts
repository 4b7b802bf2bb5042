import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { AuditEventSchema } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { formatTable } from "../output.js";
import { auditQuery, auditTable, parseAction, parseResultCode } from "./audit.js";

describe("raworc audit", () => {
  it("reads result codes in any spelling", () => {
    for (const text of ["PermissionDenied", "permission_denied", "PERMISSION_DENIED", "permission-denied"]) assert.equal(parseResultCode(text), "PERMISSION_DENIED");
    assert.equal(parseResultCode("Canceled"), "CANCELLED");
    assert.equal(parseResultCode("ok"), "OK");
    assert.throws(() => parseResultCode("Denied"), { name: "UsageError" });
  });

  it("adds the package to actions that leave it out", () => {
    assert.equal(parseAction("RbacService/CreateRoleBinding"), "raworc.v1.RbacService/CreateRoleBinding");
    assert.equal(parseAction("SecretService"), "raworc.v1.SecretService/");
    assert.equal(parseAction("raworc.v1.SecretService/"), "raworc.v1.SecretService/");
    assert.equal(parseAction("guardrail/input"), "guardrail/input");
  });

  it("builds the request from flags, with relative times", () => {
    const now = new Date("2030-01-02T12:00:00Z");
    const query = auditQuery({ since: "1h", until: "2030-01-02T11:30:00Z", principal: "team-a/alice", namespace: "team-a", result: "PermissionDenied" }, now);
    assert.equal(query.since && timestampDate(query.since).toISOString(), "2030-01-02T11:00:00.000Z");
    assert.equal(query.until && timestampDate(query.until).toISOString(), "2030-01-02T11:30:00.000Z");
    assert.deepEqual([query.principal, query.namespace, query.result, query.action], ["team-a/alice", "team-a", "PERMISSION_DENIED", ""]);
    assert.throws(() => auditQuery({ since: "1h", until: "2h" }, now), { message: "--since is after --until" });
  });

  it("tabulates events with who, what, which object, the result and why", () => {
    const event = create(AuditEventSchema, {
      time: timestampFromDate(new Date("2030-01-02T11:59:58.123Z")),
      principal: { kind: "ServiceAccount", namespace: "team-a", name: "alice" },
      action: "raworc.v1.RbacService/CreateRoleBinding",
      resource: "rolebindings",
      namespace: "team-a",
      name: "escalate",
      result: "PERMISSION_DENIED",
      requestId: "r-1",
      reason: "no create on rbac/rolebindings",
    });
    const anonymous = create(AuditEventSchema, { action: "raworc.v1.ServiceAccountService/SetServiceAccountPassword", resource: "serviceaccounts/password", namespace: "t", name: "bot", result: "UNAUTHENTICATED" });
    const lines = formatTable(auditTable([event, anonymous])).trimEnd().split("\n");
    assert.match(lines[0] ?? "", /^TIME\s+PRINCIPAL\s+ACTION\s+OBJECT\s+RESULT\s+REQUEST ID\s+REASON$/);
    assert.match(lines[1] ?? "", /^2030-01-02T11:59:58Z\s+team-a\/alice\s+RbacService\/CreateRoleBinding\s+team-a\/rolebindings\/escalate\s+PERMISSION_DENIED\s+r-1\s+no create on rbac\/rolebindings$/);
    assert.match(lines[2] ?? "", /^\s+-\s+ServiceAccountService\/SetServiceAccountPassword\s+t\/serviceaccounts\/bot\/password\s+UNAUTHENTICATED$/);
  });
});
