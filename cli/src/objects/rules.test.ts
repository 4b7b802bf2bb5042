import assert from "node:assert/strict";
import { defaultApiGroup, rulesFromFlags } from "./rules.js";

describe("rules from flags", () => {
  const plain = (flags: Parameters<typeof rulesFromFlags>[0]) =>
    rulesFromFlags(flags).map((r) => ({ apiGroups: r.apiGroups, resources: r.resources, verbs: r.verbs, resourceNames: r.resourceNames }));

  it("gives each resource its own API group, one rule per group, like kubectl create role", () => {
    assert.deepEqual(plain({ verbs: ["get", "list"], resources: ["sessions", "sessions/events", "roles", "auditevents"] }), [
      { apiGroups: ["core"], resources: ["sessions", "sessions/events"], verbs: ["get", "list"], resourceNames: [] },
      { apiGroups: ["rbac"], resources: ["roles"], verbs: ["get", "list"], resourceNames: [] },
      { apiGroups: ["audit"], resources: ["auditevents"], verbs: ["get", "list"], resourceNames: [] },
    ]);
  });

  it("uses --api-group as given, with resource names", () => {
    assert.deepEqual(plain({ verbs: ["get"], resources: ["sessions"], apiGroups: ["core"], resourceNames: ["x"] }), [
      { apiGroups: ["core"], resources: ["sessions"], verbs: ["get"], resourceNames: ["x"] },
    ]);
  });

  it("requires verbs and resources", () => {
    assert.throws(() => rulesFromFlags({ verbs: [], resources: ["sessions"] }), { message: /--verb is required/ });
    assert.throws(() => rulesFromFlags({ verbs: ["get"], resources: [] }), { message: /--resource is required/ });
  });

  it("defaults API groups by resource", () => {
    assert.equal(defaultApiGroup("rolebindings"), "rbac");
    assert.equal(defaultApiGroup("accessreviews"), "rbac");
    assert.equal(defaultApiGroup("auditevents"), "audit");
    assert.equal(defaultApiGroup("sessions/messages"), "core");
    assert.equal(defaultApiGroup("*"), "*");
  });
});
