import assert from "node:assert/strict";
import { SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { accessQuestion } from "./auth.js";

describe("raworc auth can-i", () => {
  const ask = (...args: Parameters<typeof accessQuestion>) => {
    const q = accessQuestion(...args);
    return { verb: q.verb, apiGroup: q.apiGroup, resource: q.resource, subresource: q.subresource, namespace: q.namespace, name: q.name };
  };

  it("defaults the API group by resource: rbac for roles and bindings, audit for auditevents, else core", () => {
    assert.deepEqual(ask("create", "secrets", undefined, { namespace: "team-a" }), { verb: "create", apiGroup: "core", resource: "secrets", subresource: "", namespace: "team-a", name: "" });
    assert.equal(ask("create", "rolebindings", undefined, {}).apiGroup, "rbac");
    assert.equal(ask("list", "auditevents", undefined, {}).apiGroup, "audit");
    assert.equal(ask("get", "roles", undefined, { apiGroup: "custom" }).apiGroup, "custom");
  });

  it("reads subresources, resource.group and a name", () => {
    assert.deepEqual(ask("create", "sessions/messages", "s1", { namespace: "a" }), { verb: "create", apiGroup: "core", resource: "sessions", subresource: "messages", namespace: "a", name: "s1" });
    assert.equal(ask("bind", "roles.rbac", "admin", {}).apiGroup, "rbac");
    assert.throws(() => accessQuestion("get", "roles.rbac", undefined, { apiGroup: "core" }), { name: "UsageError" });
  });

  it("asks about another subject with --as, and its groups with --as-group", () => {
    const q = accessQuestion("get", "sessions", undefined, { as: "ServiceAccount:team-a/alice", asGroup: ["devs"] });
    assert.deepEqual([q.subject?.kind, q.subject?.namespace, q.subject?.name, q.groups], [SubjectKind.SERVICE_ACCOUNT, "team-a", "alice", ["devs"]]);
    assert.equal(accessQuestion("get", "sessions", undefined, {}).subject, undefined);
    assert.throws(() => accessQuestion("get", "sessions", undefined, { asGroup: ["x"] }), { message: "--as-group needs --as" });
  });
});
