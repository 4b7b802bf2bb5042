import assert from "node:assert/strict";
import type { Namespace } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RoleScope, SubjectKind, type Role, type RoleBinding } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import type { ServiceAccount } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { namespaceKind, roleBindingKind, roleKind, secretKind, serviceAccountKind } from "./kinds/index.js";
import { parseManifests } from "./manifest.js";

describe("object files", () => {
  const teamFile = `
kind: Namespace
metadata: {name: team-a}
---
kind: Role
metadata:
  name: session-reader
  namespace: team-a
  resource_version: "4"
rules:
  - api_groups: [core]
    resources: [sessions]
    verbs: [get, list]
    resource_names: [s1]
---
kind: RoleBinding
metadata: {name: readers, namespace: team-a}
roleRef: {scope: namespace, name: session-reader}
subjects:
  - {kind: ServiceAccount, namespace: team-a, name: alice}
  - {kind: SUBJECT_KIND_GROUP, name: auditors}
  - {kind: user, name: bob}
---
`;

  it("reads several documents of several kinds, in order, in snake_case or camelCase with short enum names", () => {
    const items = parseManifests(teamFile, "team.yaml");
    assert.deepEqual(items.map((i) => [i.kind, i.origin]), [
      [namespaceKind, "team.yaml: document 1"],
      [roleKind, "team.yaml: document 2"],
      [roleBindingKind, "team.yaml: document 3"],
    ]);
    const role = items[1]?.object as Role;
    assert.equal(role.metadata?.resourceVersion, "4");
    assert.deepEqual(role.rules[0]?.resourceNames, ["s1"]);
    const binding = items[2]?.object as RoleBinding;
    assert.equal(binding.roleRef?.scope, RoleScope.NAMESPACE);
    assert.deepEqual(binding.subjects.map((s) => s.kind), [SubjectKind.SERVICE_ACCOUNT, SubjectKind.GROUP, SubjectKind.USER]);
    assert.deepEqual([...(items[2]?.fields ?? [])], ["metadata", "roleRef", "subjects"]);
  });

  it("reads JSON, a JSON array and a kind: List", () => {
    const ns = (name: string) => ({ kind: "Namespace", metadata: { name } });
    assert.equal((parseManifests(JSON.stringify(ns("a")), "a.json")[0]?.object as Namespace).metadata?.name, "a");
    const fromArray = parseManifests(JSON.stringify([ns("a"), ns("b")]), "list.json");
    assert.deepEqual(fromArray.map((i) => [i.object.metadata?.name, i.origin]), [["a", "list.json, item 1"], ["b", "list.json, item 2"]]);
    const fromList = parseManifests(JSON.stringify({ kind: "List", items: [ns("c")] }), "l.json");
    assert.equal(fromList[0]?.object.metadata?.name, "c");
  });

  it("names the document at fault: bad kind, no kind, bad enum, unknown field, bad YAML, no name", () => {
    const bad = (text: string, message: RegExp) => assert.throws(() => parseManifests(text, "f.yaml"), { name: "UsageError", message });
    bad("kind: Namespace\nmetadata: {name: a}\n---\nkind: Rol\nmetadata: {name: x}\n", /^f\.yaml: document 2: unknown kind "Rol" \(use one of: Namespace, ServiceAccount, Role, RoleBinding, Secret, Agent, Webhook\)$/);
    bad("metadata: {name: x}\n", /^f\.yaml: no kind/);
    bad("kind: RoleBinding\nmetadata: {name: x}\nroleRef: {scope: everywhere, name: a}\n", /^f\.yaml: .*roleRef\.scope value "everywhere" \(use one of: Namespace, Global\)/);
    bad("kind: Role\nmetadata: {name: x}\nrulez: []\n", /^f\.yaml: not a valid Role: .*"rulez" is unknown/);
    bad("kind: Role\nmetadata: {name: x\n", /^f\.yaml: not valid YAML or JSON: /);
    bad("kind: Role\nmetadata: {namespace: a}\n", /^f\.yaml: metadata\.name is required$/);
    bad("- 1\n", /^f\.yaml, item 1: expected a mapping/);
  });

  it("lets a group's create -f take documents without kind, and refuses other kinds", () => {
    const [role] = parseManifests("metadata: {name: x}\nrules: []\n", "r.yaml", { onlyKind: roleKind });
    assert.equal(role?.kind, roleKind);
    assert.throws(() => parseManifests("kind: Secret\nmetadata: {name: s}\n", "r.yaml", { onlyKind: roleKind }), {
      message: "r.yaml: is a Secret, not a Role (create objects of several kinds with: raworc create -f FILE)",
    });
  });

  it("fills namespaces from -n, refuses a contradicting one, and puts secrets in default otherwise", () => {
    const doc = "kind: Secret\nmetadata: {name: s}\ndata: {k: v}\n";
    assert.equal(parseManifests(doc, "s.yaml", { namespace: "team-a" })[0]?.object.metadata?.namespace, "team-a");
    assert.equal(parseManifests(doc, "s.yaml")[0]?.object.metadata?.namespace, "default");
    assert.equal(parseManifests("kind: Role\nmetadata: {name: r}\n", "r.yaml")[0]?.object.metadata?.namespace, "", "roles without -n are global");
    assert.equal(parseManifests("kind: Namespace\nmetadata: {name: n}\n", "n.yaml", { namespace: "x" })[0]?.object.metadata?.namespace, "");
    assert.throws(() => parseManifests("kind: Secret\nmetadata: {name: s, namespace: b}\n", "s.yaml", { namespace: "a" }), {
      message: 's.yaml: its namespace "b" does not match -n a',
    });
    assert.deepEqual((parseManifests(doc, "s.yaml")[0]?.object as Secret).data, { k: "v" });
  });

  it("keeps passwords out of files unless allowed, and creates service accounts active unless told otherwise", () => {
    const sa = "kind: ServiceAccount\nmetadata: {name: bot, namespace: t}\n";
    const [item] = parseManifests(sa, "sa.yaml");
    assert.equal((item?.object as ServiceAccount).active, true);
    assert.ok(!item?.fields.has("active"), "a default is not a field the document set, so apply keeps the stored value");
    assert.equal((parseManifests(sa + "active: false\n", "sa.yaml")[0]?.object as ServiceAccount).active, false);
    assert.throws(() => parseManifests(sa + "password: very-secret-pw\n", "sa.yaml"), { message: /passwords are not read from files by default/ });
    assert.equal(parseManifests(sa + "password: very-secret-pw\n", "sa.yaml", { allowPasswords: true })[0]?.password, "very-secret-pw");
  });

  it("skips empty documents and accepts the kind in any case", () => {
    const items = parseManifests("---\n---\nkind: secret\nmetadata: {name: s}\n---\n", "s.yaml");
    assert.equal(items.length, 1);
    assert.equal(items[0]?.kind, secretKind);
    assert.equal(parseManifests("kind: serviceaccount\nmetadata: {name: x}\n", "x")[0]?.kind, serviceAccountKind);
  });
});
