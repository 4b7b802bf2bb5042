import assert from "node:assert/strict";
import type { Transport } from "@connectrpc/connect";
import type { Role } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import type { ServiceAccount } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { memoryKind, type MemoryKind } from "../testing/memory-kind.js";
import { applyObject, createObject, deleteObject, editObject, outcomeLine } from "./apply.js";
import type { Connection, StoredObject } from "./kind.js";
import { roleKind, secretKind, serviceAccountKind } from "./kinds/index.js";
import { parseManifests } from "./manifest.js";

describe("create, apply and delete", () => {
  const conn: Connection = { transport: {} as Transport };
  const one = (kind: MemoryKind, yaml: string) => {
    const [item] = parseManifests(yaml, "f.yaml");
    assert.ok(item);
    return { ...item, kind };
  };
  const stored = <T extends StoredObject>(kind: MemoryKind, key: string) => kind.store.get(key) as T;
  const roleYaml = (description: string, extra = "") => `kind: Role\nmetadata: {name: dev, namespace: team-a${extra}}\ndescription: ${description}\nrules: [{apiGroups: [core], resources: [sessions], verbs: [get]}]\n`;

  it("apply creates what is missing, updates what changed, and leaves alone what did not", async () => {
    const roles = memoryKind(roleKind);
    const first = await applyObject(conn, one(roles, roleYaml("one")));
    assert.equal(outcomeLine(first), "role/dev created in namespace team-a");
    const again = await applyObject(conn, one(roles, roleYaml("one")));
    assert.equal(again.outcome, "unchanged");
    assert.deepEqual(roles.calls, ["get", "create", "get"], "an unchanged object is not written");
    const changed = await applyObject(conn, one(roles, roleYaml("two")));
    assert.equal(changed.outcome, "configured");
    assert.equal(stored<Role>(roles, "team-a/dev").description, "two");
    assert.equal(stored<Role>(roles, "team-a/dev").metadata?.resourceVersion, "2");
  });

  it("apply changes only the fields a document sets, and honours its resource_version", async () => {
    const roles = memoryKind(roleKind);
    await createObject(conn, one(roles, roleYaml("kept", ", labels: {team: a}")));
    await applyObject(conn, one(roles, "kind: Role\nmetadata: {name: dev, namespace: team-a}\nrules: []\n"));
    const role = stored<Role>(roles, "team-a/dev");
    assert.equal(role.description, "kept");
    assert.deepEqual(role.metadata?.labels, { team: "a" }, "labels not in the document stay");
    assert.deepEqual(role.rules, []);
    await assert.rejects(applyObject(conn, one(roles, roleYaml("stale", ', resourceVersion: "1"'))), { name: "ConnectError", message: /stale/ });
  });

  it("a service account's active flag defaults to true on create and keeps its stored value on apply", async () => {
    const accounts = memoryKind(serviceAccountKind);
    const yaml = "kind: ServiceAccount\nmetadata: {name: bot, namespace: t}\n";
    await assert.rejects(serviceAccountKind.create(conn, one(accounts, yaml).object, {}), { message: /needs an initial password: pass --password-stdin/ });
    await createObject(conn, one(accounts, yaml), { password: "a-long-password" });
    assert.equal(stored<ServiceAccount>(accounts, "t/bot").active, true);
    await editObject(conn, accounts, { namespace: "t", name: "bot" }, (sa) => ((sa as ServiceAccount).active = false));
    assert.equal((await applyObject(conn, one(accounts, yaml + "description: d\n"))).outcome, "configured");
    assert.equal(stored<ServiceAccount>(accounts, "t/bot").active, false);
  });

  it("applying a secret's data replaces its keys; leaving data out keeps them", async () => {
    const secrets = memoryKind(secretKind);
    await createObject(conn, one(secrets, "kind: Secret\nmetadata: {name: s, namespace: t}\ndata: {a: '1', b: '2'}\n"));
    assert.deepEqual(stored<Secret>(secrets, "t/s").keys, ["a", "b"]);
    assert.equal((await applyObject(conn, one(secrets, "kind: Secret\nmetadata: {name: s, namespace: t}\ndata: {b: '3', c: '4'}\n"))).outcome, "configured");
    assert.deepEqual(stored<Secret>(secrets, "t/s").keys, ["b", "c"]);
    assert.equal((await applyObject(conn, one(secrets, "kind: Secret\nmetadata: {name: s, namespace: t, labels: {x: y}}\n"))).outcome, "configured");
    assert.deepEqual(stored<Secret>(secrets, "t/s").keys, ["b", "c"]);
  });

  it("create drops output-only metadata, so a saved -o yaml file can be created again elsewhere", async () => {
    const roles = memoryKind(roleKind);
    const yaml = roleYaml("x", ', uid: 0b0e5a8e-0000-0000-0000-000000000000, resourceVersion: "7", createdAt: "2030-01-01T00:00:00Z"');
    await createObject(conn, one(roles, yaml));
    assert.equal(stored<Role>(roles, "team-a/dev").metadata?.uid, "");
  });

  it("delete reports each object", async () => {
    const roles = memoryKind(roleKind);
    await createObject(conn, one(roles, roleYaml("x")));
    assert.equal(outcomeLine(await deleteObject(conn, roles, { namespace: "team-a", name: "dev" })), "role/dev deleted in namespace team-a");
    await assert.rejects(deleteObject(conn, roles, { namespace: "team-a", name: "dev" }), { name: "ConnectError" });
  });
});
