import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { RoleRefSchema, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { formatRoleRef, formatSubject, parseServiceAccountSubject, parseSubject } from "./subjects.js";

describe("subjects", () => {
  const plain = (text: string) => {
    const s = parseSubject(text);
    return { kind: s.kind, namespace: s.namespace, name: s.name };
  };

  it("reads service accounts as namespace/name, kubectl's namespace:name, or a bare global name", () => {
    const alice = { kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-a", name: "alice" };
    for (const text of ["team-a/alice", "team-a:alice", "ServiceAccount:team-a/alice", "sa:team-a/alice", "serviceaccount:team-a/alice"]) {
      assert.deepEqual(plain(text), alice, text);
    }
    assert.deepEqual(plain("admin"), { kind: SubjectKind.SERVICE_ACCOUNT, namespace: "", name: "admin" });
    assert.equal(parseServiceAccountSubject("team-a/alice").namespace, "team-a");
    assert.throws(() => parseServiceAccountSubject("a/b/c"), { name: "UsageError" });
  });

  it("reads users and groups, whose names may hold colons", () => {
    assert.deepEqual(plain("User:bob"), { kind: SubjectKind.USER, namespace: "", name: "bob" });
    assert.deepEqual(plain("group:system:authenticated"), { kind: SubjectKind.GROUP, namespace: "", name: "system:authenticated" });
    assert.throws(() => parseSubject("User:"), { message: 'subject "User:" has no name' });
  });

  it("writes subjects and role refs back in the same short forms", () => {
    assert.equal(formatSubject(parseSubject("sa:team-a/alice")), "ServiceAccount:team-a/alice");
    assert.equal(formatSubject(parseSubject("Group:devs")), "Group:devs");
    assert.equal(formatRoleRef(create(RoleRefSchema, { scope: RoleScope.GLOBAL, name: "developer" })), "GlobalRole/developer");
    assert.equal(formatRoleRef(create(RoleRefSchema, { scope: RoleScope.NAMESPACE, name: "dev" })), "Role/dev");
  });
});
