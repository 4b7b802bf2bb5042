import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { NamespacePhase, NamespaceSchema } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RoleBindingSchema, RoleScope, RoleSchema, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { SecretSchema } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { ServiceAccountSchema } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { parse } from "yaml";
import { formatTable } from "../output.js";
import { namespaceKind, roleBindingKind, roleKind, secretKind, serviceAccountKind } from "./kinds/index.js";
import { parseManifests } from "./manifest.js";
import { objectJson, objectsTable, renderObjects } from "./render.js";

describe("object output", () => {
  const now = new Date("2030-01-10T00:00:00Z");
  const meta = (name: string, namespace: string, created: string) => ({ name, namespace, createdAt: timestampFromDate(new Date(created)), resourceVersion: "3" });

  it("tabulates secrets with their key names and never their values", () => {
    const secret = create(SecretSchema, { metadata: meta("openai", "team-a", "2030-01-09T23:55:00Z"), keys: ["A", "B"], data: { A: "sk-should-not-show" } });
    const text = formatTable(objectsTable(secretKind, [secret], now));
    assert.equal(text, ["NAME    NAMESPACE  TYPE    KEYS  AGE", "openai  team-a     Opaque  A,B   5m"].join("\n") + "\n");
    assert.ok(!text.includes("sk-should-not-show"));
  });

  it("tabulates role bindings with their role and subjects, and global objects as (global)", () => {
    const binding = create(RoleBindingSchema, {
      metadata: meta("alice-dev", "", "2030-01-07T00:00:00Z"),
      roleRef: { scope: RoleScope.GLOBAL, name: "developer" },
      subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-a", name: "alice" }, { kind: SubjectKind.GROUP, name: "devs" }],
    });
    assert.equal(
      formatTable(objectsTable(roleBindingKind, [binding], now)),
      ["NAME       NAMESPACE  ROLE                  SUBJECTS                                AGE", "alice-dev  (global)   GlobalRole/developer  ServiceAccount:team-a/alice,Group:devs  3d"].join("\n") + "\n",
    );
  });

  it("tabulates roles, service accounts and namespaces (which have no NAMESPACE column)", () => {
    const role = create(RoleSchema, { metadata: meta("dev", "team-a", "2030-01-09T21:00:00Z"), description: "devs", rules: [{}, {}] });
    assert.match(formatTable(objectsTable(roleKind, [role], now)), /^NAME\s+NAMESPACE\s+RULES\s+DESCRIPTION\s+AGE\ndev\s+team-a\s+2\s+devs\s+3h\n$/);
    const sa = create(ServiceAccountSchema, { metadata: meta("bot", "team-a", "2030-01-09T23:59:30Z"), active: false });
    assert.match(formatTable(objectsTable(serviceAccountKind, [sa], now)), /^NAME\s+NAMESPACE\s+ACTIVE\s+LAST LOGIN\s+AGE\nbot\s+team-a\s+no\s+never\s+30s\n$/);
    const ns = create(NamespaceSchema, { metadata: meta("team-a", "", "2030-01-09T00:00:00Z"), status: { phase: NamespacePhase.TERMINATING } });
    assert.equal(formatTable(objectsTable(namespaceKind, [ns], now)), "NAME    STATUS       AGE\nteam-a  Terminating  24h\n");
  });

  it("writes JSON and YAML with the kind, in the API's field names, that apply -f reads back", () => {
    const sa = create(ServiceAccountSchema, { metadata: meta("bot", "team-a", "2030-01-09T00:00:00Z"), active: false });
    const json = objectJson(serviceAccountKind, sa);
    assert.equal(json.kind, "ServiceAccount");
    assert.equal(json.active, false, "the defaulted flag is written even when false");
    const yaml = renderObjects(serviceAccountKind, [sa], "yaml", true);
    const [back] = parseManifests(yaml, "saved.yaml");
    assert.equal(back?.kind, serviceAccountKind);
    assert.equal(back?.object.metadata?.resourceVersion, "3");
    const list = parse(renderObjects(serviceAccountKind, [sa, sa], "yaml", false)) as { kind: string; items: unknown[] };
    assert.deepEqual([list.kind, list.items.length], ["List", 2]);
    assert.equal(parseManifests(renderObjects(serviceAccountKind, [sa, sa], "json", false), "l.json").length, 2);
  });
});
