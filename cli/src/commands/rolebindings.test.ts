import assert from "node:assert/strict";
import { RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { formatSubject } from "../objects/subjects.js";
import { bareAccountWarnings, roleBindingFromFlags, roleScopeFromFlags } from "./rolebindings.js";

describe("raworc rolebindings create (flags)", () => {
  it("builds the binding of the alice scenario", () => {
    const binding = roleBindingFromFlags("alice-dev", { namespace: "team-a", role: "developer", roleScope: "global", serviceaccount: ["team-a/alice"] });
    assert.deepEqual([binding.metadata?.namespace, binding.metadata?.name], ["team-a", "alice-dev"]);
    assert.deepEqual([binding.roleRef?.scope, binding.roleRef?.name], [RoleScope.GLOBAL, "developer"]);
    assert.deepEqual(binding.subjects.map((s) => [s.kind, s.namespace, s.name]), [[SubjectKind.SERVICE_ACCOUNT, "team-a", "alice"]]);
  });

  it("takes subjects of every kind, in flag order", () => {
    const binding = roleBindingFromFlags("b", { namespace: "t", role: "r", serviceaccount: ["t/a", "admin"], user: ["bob"], group: ["devs"], subject: ["Group:ops"] });
    assert.deepEqual(binding.subjects.map(formatSubject), ["ServiceAccount:t/a", "ServiceAccount:admin", "User:bob", "Group:devs", "Group:ops"]);
  });

  it("looks roles up in the binding's namespace unless told global; global bindings use global roles", () => {
    assert.equal(roleScopeFromFlags({}, "team-a"), RoleScope.NAMESPACE);
    assert.equal(roleScopeFromFlags({ globalRole: true }, "team-a"), RoleScope.GLOBAL);
    assert.equal(roleScopeFromFlags({ roleScope: "ROLE_SCOPE_GLOBAL" }, "team-a"), RoleScope.GLOBAL);
    assert.equal(roleScopeFromFlags({}, ""), RoleScope.GLOBAL);
    assert.throws(() => roleScopeFromFlags({ roleScope: "namespace", globalRole: true }, "t"), { message: "--global-role contradicts --role-scope" });
    assert.throws(() => roleScopeFromFlags({ roleScope: "cluster" }, "t"), { message: 'unknown --role-scope "cluster" (use one of: Namespace, Global)' });
  });

  it("requires a role and at least one subject", () => {
    assert.throws(() => roleBindingFromFlags("b", { serviceaccount: ["a"] }), { message: "--role is required" });
    assert.throws(() => roleBindingFromFlags("b", { role: "r" }), { message: /name at least one subject/ });
  });

  it("warns that a bare service account name in a namespaced binding is the global account", () => {
    assert.deepEqual(bareAccountWarnings({ namespace: "team-a", serviceaccount: ["alice", "team-a/bob"] }), [
      '--serviceaccount alice is the global account "alice"; for the one in namespace team-a, write team-a/alice',
    ]);
    assert.deepEqual(bareAccountWarnings({ serviceaccount: ["alice"] }), [], "a global binding of a global account is the usual case");
  });
});
