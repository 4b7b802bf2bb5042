import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { parse } from "yaml";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

/** The README's alice scenario, run with the real `raworc` binary only, as an operator would. */
describe("raworc: the alice scenario (end to end, against a real server)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;
  const alicePassword = "alice-password-123";
  const as = (who: "admin" | "alice") => (args: string[], input?: string) =>
    runRaworc(args, { env: { RAWORC_CONFIG: join(dir, who, "config.yaml") }, input });
  const admin = as("admin");
  const alice = as("alice");
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-alice-"));
    ok(await admin(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "admin login");
    ok(await admin(["namespaces", "create", "team-a"]), "create team-a");
    ok(await admin(["namespaces", "create", "team-b"]), "create team-b");
    const sa = await admin(["sa", "create", "alice", "-n", "team-a", "--password-stdin"], `${alicePassword}\n`);
    ok(sa, "create alice");
    assert.equal(sa.stdout, "serviceaccount/alice created in namespace team-a\n");
    const rb = await admin(["rolebindings", "create", "alice-dev", "-n", "team-a", "--role", "developer", "--role-scope", "global", "--serviceaccount", "team-a/alice"]);
    ok(rb, "bind alice");
    assert.equal(rb.stdout, "rolebinding/alice-dev created in namespace team-a\n");
    ok(await alice(["login", "--server", server.url, "-u", "team-a/alice", "--password-stdin"], alicePassword), "alice login");
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("admin sees the namespaces, the account and the binding in tables", async () => {
    const ns = await admin(["ns", "list"]);
    ok(ns, "ns list");
    assert.match(ns.stdout, /^NAME\s+STATUS\s+AGE\n/);
    assert.match(ns.stdout, /\nteam-a\s+Active\s+\d+s\n/);
    const sa = await admin(["sa", "get", "alice", "-n", "team-a"]);
    ok(sa, "sa get");
    assert.match(sa.stdout, /^NAME\s+NAMESPACE\s+ACTIVE\s+LAST LOGIN\s+AGE\nalice\s+team-a\s+yes\s+\d+s ago\s+\d+s\n$/);
    const rb = await admin(["rb", "list", "-n", "team-a"]);
    ok(rb, "rb list");
    assert.match(rb.stdout, /alice-dev\s+team-a\s+GlobalRole\/developer\s+ServiceAccount:team-a\/alice\s+\d+s/);
  });

  it("alice may create secrets in team-a but not in team-b", async () => {
    const yes = await alice(["auth", "can-i", "create", "secrets", "-n", "team-a"]);
    assert.deepEqual([yes.code, yes.stdout], [0, "yes\n"], yes.stderr);
    const no = await alice(["auth", "can-i", "create", "secrets", "-n", "team-b"]);
    assert.deepEqual([no.code, no.stdout], [1, "no\n"], no.stderr);
    const why = await alice(["auth", "can-i", "create", "roles", "-n", "team-a", "-o", "yaml"]);
    assert.equal(why.code, 1);
    assert.equal((parse(why.stdout) as { allowed: boolean }).allowed, false);
  });

  it("alice creates a secret in team-a and reads back its keys, never its values", async () => {
    const created = await alice(["secrets", "create", "x", "-n", "team-a", "--from-literal", "k=v-secret-value"]);
    ok(created, "secrets create");
    assert.equal(created.stdout, "secret/x created in namespace team-a\n");
    assert.match(created.stderr, /warning: --from-literal values end up in your shell history/);

    const json = await alice(["secrets", "get", "x", "-n", "team-a", "-o", "json"]);
    ok(json, "secrets get");
    const secret = JSON.parse(json.stdout) as { kind: string; metadata: { name: string; namespace: string }; keys: string[]; data?: unknown };
    assert.equal(secret.kind, "Secret");
    assert.deepEqual(secret.keys, ["k"]);
    assert.equal(secret.data, undefined);
    assert.ok(!json.stdout.includes("v-secret-value"), "the value never comes back");

    const table = await alice(["secrets", "list", "-n", "team-a"]);
    ok(table, "secrets list");
    assert.match(table.stdout, /^NAME\s+NAMESPACE\s+TYPE\s+KEYS\s+AGE\nx\s+team-a\s+Opaque\s+k\s+\d+s\n$/);
  });

  it("alice cannot list team-b's secrets, nor grant herself admin", async () => {
    const list = await alice(["secrets", "list", "-n", "team-b"]);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /^raworc: permission_denied: /);

    const escalate = await alice(["rolebindings", "create", "escalate", "-n", "team-a", "--role", "admin", "--role-scope", "global", "--serviceaccount", "team-a/alice"]);
    assert.equal(escalate.code, 1);
    assert.match(escalate.stderr, /^raworc: rolebinding\/escalate: permission_denied: .*create.*rolebindings/);
    assert.doesNotMatch(escalate.stderr, /\n\s+at /, "no stack trace");
  });

  it("admin finds alice's refusals in the audit log", async () => {
    // The refusals of the previous test, and only alice's among the PermissionDenied rows.
    await alice(["secrets", "list", "-n", "team-b"]);
    const audit = await admin(["audit", "--result", "PermissionDenied", "--since", "1h"]);
    ok(audit, "audit");
    const [header, ...rows] = audit.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^TIME\s+PRINCIPAL\s+ACTION\s+OBJECT\s+RESULT\s+REQUEST ID\s+REASON$/);
    assert.ok(rows.some((r) => /team-a\/alice\s+SecretService\/ListSecrets\s+team-b\/secrets\s+PERMISSION_DENIED\s/.test(r)), audit.stdout);
    assert.ok(rows.some((r) => /team-a\/alice\s+RbacService\/CreateRoleBinding\s+team-a\/rolebindings\/escalate\s+PERMISSION_DENIED\s/.test(r)), audit.stdout);

    const json = await admin(["audit", "--principal", "team-a/alice", "--result", "permission_denied", "-o", "json"]);
    ok(json, "audit -o json");
    const events = (JSON.parse(json.stdout) as { events: { principal: { name: string }; result: string; requestId: string }[] }).events;
    assert.ok(events.length >= 2);
    assert.ok(events.every((e) => e.principal.name === "alice" && e.result === "PERMISSION_DENIED" && e.requestId));
  });
});
