import assert from "node:assert/strict";
import { firstUncovered, ruleMatches, type Attributes, type Rule } from "./rules.js";

const rule = (r: Partial<Rule>): Rule => ({ apiGroups: ["core"], resources: ["sessions"], verbs: ["get"], resourceNames: [], ...r });
const req = (a: Partial<Attributes>): Attributes => ({ group: "core", resource: "sessions", subresource: "", verb: "get", namespace: "team-a", name: "s1", ...a });

describe("RBAC rule matching (Kubernetes semantics)", () => {
  const cases: [string, Rule, Attributes, boolean][] = [
    ["exact match", rule({}), req({}), true],
    ["other verb", rule({}), req({ verb: "delete" }), false],
    ["* verb", rule({ verbs: ["*"] }), req({ verb: "delete" }), true],
    ["other group", rule({}), req({ group: "rbac" }), false],
    ["* group", rule({ apiGroups: ["*"] }), req({ group: "rbac" }), true],
    ["other resource", rule({}), req({ resource: "agents" }), false],
    ["* resource", rule({ resources: ["*"] }), req({ resource: "agents" }), true],
    ["* resource matches subresources too", rule({ resources: ["*"], verbs: ["create"] }), req({ subresource: "messages", verb: "create" }), true],
    ["resource does not match its subresource", rule({ verbs: ["create"] }), req({ subresource: "messages", verb: "create" }), false],
    ["subresource rule matches the subresource", rule({ resources: ["sessions/messages"], verbs: ["create"] }), req({ subresource: "messages", verb: "create" }), true],
    ["subresource rule does not match the resource", rule({ resources: ["sessions/messages"] }), req({}), false],
    ["subresource rule does not match another subresource", rule({ resources: ["sessions/messages"], verbs: ["create"] }), req({ subresource: "pause", verb: "create" }), false],
    ["*/sub matches any resource's sub", rule({ resources: ["*/messages"], verbs: ["create"] }), req({ resource: "agents", subresource: "messages", verb: "create" }), true],
    ["*/sub does not match the bare resource", rule({ resources: ["*/messages"] }), req({}), false],
    ["named rule matches its name", rule({ resourceNames: ["s1", "s2"] }), req({}), true],
    ["named rule does not match another name", rule({ resourceNames: ["s2"] }), req({}), false],
    ["named rule never matches a nameless request (list)", rule({ resourceNames: ["s1"], verbs: ["list"] }), req({ verb: "list", name: "" }), false],
    ["empty names match any name", rule({}), req({ name: "anything" }), true],
    ["empty names match nameless requests", rule({ verbs: ["list"] }), req({ verb: "list", name: "" }), true],
    ["all wildcards", rule({ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }), req({ group: "audit", resource: "auditevents", verb: "list", name: "" }), true],
  ];
  for (const [name, r, a, expected] of cases) it(`${name} → ${expected ? "allow" : "deny"}`, () => assert.equal(ruleMatches(r, a), expected));
});

describe("RBAC covering (escalation prevention)", () => {
  const covered = (held: Partial<Rule>[], wanted: Partial<Rule>[]) => firstUncovered(held.map(rule), wanted.map(rule)) === undefined;
  const cases: [string, Partial<Rule>[], Partial<Rule>[], boolean][] = [
    ["the same rule", [{}], [{}], true],
    ["a subset of verbs", [{ verbs: ["get", "list"] }], [{ verbs: ["list"] }], true],
    ["a superset of verbs", [{ verbs: ["get"] }], [{ verbs: ["get", "list"] }], false],
    ["* covers any verb", [{ verbs: ["*"] }], [{ verbs: ["delete", "escalate"] }], true],
    ["a list of verbs never covers *", [{ verbs: ["get", "list", "watch", "create", "update", "delete"] }], [{ verbs: ["*"] }], false],
    ["a list of resources never covers *", [{ resources: ["sessions", "agents", "secrets"] }], [{ resources: ["*"] }], false],
    ["a list of groups never covers *", [{ apiGroups: ["core", "rbac", "audit"] }], [{ apiGroups: ["*"] }], false],
    ["* covers *", [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }], true],
    ["*/sub covers r/sub", [{ resources: ["*/messages"] }], [{ resources: ["sessions/messages"] }], true],
    ["r/sub does not cover */sub", [{ resources: ["sessions/messages"] }], [{ resources: ["*/messages"] }], false],
    ["a resource does not cover its subresource", [{ resources: ["sessions"] }], [{ resources: ["sessions/messages"] }], false],
    ["unnamed covers named", [{}], [{ resourceNames: ["s1"] }], true],
    ["named does not cover unnamed", [{ resourceNames: ["s1"] }], [{}], false],
    ["names must be a subset", [{ resourceNames: ["s1", "s2"] }], [{ resourceNames: ["s2", "s3"] }], false],
    ["split across rules still covers", [{ verbs: ["get"] }, { verbs: ["list"] }], [{ verbs: ["get", "list"] }], true],
    ["nothing held covers nothing", [], [{}], false],
    ["an empty role is always covered", [], [], true],
  ];
  for (const [name, held, wanted, expected] of cases) it(`${name} → ${expected ? "covered" : "escalation"}`, () => assert.equal(covered(held, wanted), expected));

  it("names the first permission not held", () => {
    assert.deepEqual(firstUncovered([rule({ verbs: ["get"] })], [rule({ verbs: ["get", "delete"] })]), {
      group: "core",
      resource: "sessions",
      verb: "delete",
      name: "",
    });
  });
});
