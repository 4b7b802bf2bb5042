import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { parse, stringify } from "yaml";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

const teamFile = `# a team: its namespace, a role of its own, and who holds it
kind: Namespace
metadata: {name: team-x}
---
kind: Role
metadata:
  name: session-reader
  namespace: team-x
  labels: {team: x}
description: reads sessions
rules:
  - api_groups: [core]
    resources: [sessions, sessions/events]
    verbs: [get, list]
---
kind: RoleBinding
metadata: {name: readers, namespace: team-x}
role_ref: {scope: namespace, name: session-reader}
subjects:
  - {kind: ServiceAccount, namespace: team-x, name: bot}
  - {kind: group, name: auditors}
`;

describe("raworc create/apply/delete -f (end to end, against a real server)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: { RAWORC_CONFIG: join(dir, "config.yaml") }, input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  const file = async (name: string, text: string) => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-manifests-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates a namespace, a Role and a RoleBinding from one file, and they grant what they say", async () => {
    const path = await file("team.yaml", teamFile);
    const created = await raworc(["create", "-f", path]);
    ok(created, "create -f");
    assert.equal(created.stdout, ["namespace/team-x created", "role/session-reader created in namespace team-x", "rolebinding/readers created in namespace team-x", ""].join("\n"));

    const role = parse((await raworc(["roles", "get", "session-reader", "-n", "team-x", "-o", "yaml"])).stdout) as { kind: string; description: string; rules: { apiGroups: string[]; resources: string[] }[] };
    assert.equal(role.kind, "Role");
    assert.deepEqual(role.rules[0]?.resources, ["sessions", "sessions/events"]);
    const binding = await raworc(["rb", "get", "readers", "-n", "team-x"]);
    assert.match(binding.stdout, /readers\s+team-x\s+Role\/session-reader\s+ServiceAccount:team-x\/bot,Group:auditors\s/);

    const can = await raworc(["auth", "can-i", "list", "sessions/events", "-n", "team-x", "--as", "ServiceAccount:team-x/bot"]);
    assert.deepEqual([can.code, can.stdout], [0, "yes\n"], can.stderr);
    const cannot = await raworc(["auth", "can-i", "delete", "sessions", "-n", "team-x", "--as", "Group:auditors"]);
    assert.deepEqual([cannot.code, cannot.stdout], [1, "no\n"], cannot.stderr);

    const again = await raworc(["create", "-f", path]);
    assert.equal(again.code, 1, "creating what exists fails");
    assert.match(again.stderr, /^raworc: .*team\.yaml: document 1 \(namespace\/team-x\): already_exists: /m);
    assert.equal((await raworc(["apply", "-f", path])).stdout, ["namespace/team-x unchanged", "role/session-reader unchanged in namespace team-x", "rolebinding/readers unchanged in namespace team-x", ""].join("\n"));
  });

  it("applies an edited -o yaml file, and refuses one saved before a later change", async () => {
    const saved = (await raworc(["roles", "get", "session-reader", "-n", "team-x", "-o", "yaml"])).stdout;
    const edited = parse(saved) as { description: string };
    edited.description = "reads sessions and their events";
    const path = await file("role.yaml", stringify(edited));
    const applied = await raworc(["apply", "-f", path]);
    ok(applied, "apply");
    assert.equal(applied.stdout, "role/session-reader configured in namespace team-x\n");
    const now = parse((await raworc(["roles", "get", "session-reader", "-n", "team-x", "-o", "json"])).stdout) as { description: string; metadata: { labels: Record<string, string> } };
    assert.equal(now.description, "reads sessions and their events");
    assert.deepEqual(now.metadata.labels, { team: "x" });

    const stale = await raworc(["apply", "-f", await file("stale.yaml", saved.replace("description: reads sessions", "description: something else"))]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^raworc: .*stale\.yaml \(role\/session-reader\): aborted: /);
  });

  it("reads -f - from standard input, and a group's create -f refuses other kinds before sending anything", async () => {
    const json = JSON.stringify({ kind: "Role", metadata: { name: "from-stdin", namespace: "team-x" }, rules: [{ apiGroups: ["core"], resources: ["agents"], verbs: ["get"] }] });
    const piped = await raworc(["roles", "create", "-f", "-"], json);
    ok(piped, "roles create -f -");
    assert.equal(piped.stdout, "role/from-stdin created in namespace team-x\n");

    const mixed = await raworc(["roles", "create", "-f", await file("mixed.yaml", `${json}\n---\nkind: Secret\nmetadata: {name: s, namespace: team-x}\ndata: {k: v}\n`)]);
    assert.equal(mixed.code, 1);
    assert.match(mixed.stderr, /document 2: is a Secret, not a Role \(create objects of several kinds with: raworc create -f FILE\)/);
    assert.equal(mixed.stdout, "", "nothing was created");

    const badKind = await raworc(["create", "-f", "-"], "kind: Rol\nmetadata: {name: x}\n");
    assert.equal(badKind.code, 1);
    assert.equal(badKind.stderr, 'raworc: <stdin>: unknown kind "Rol" (use one of: Namespace, ServiceAccount, Role, RoleBinding, Secret, Agent, Webhook)\n');
  });

  it("creates service accounts from a file with --password-stdin, and secrets whose values stay write-only", async () => {
    const objects = await file("bot.yaml", "kind: ServiceAccount\nmetadata: {name: bot, namespace: team-x}\n---\nkind: Secret\nmetadata: {name: llm, namespace: team-x}\ndata: {OPENAI_API_KEY: sk-from-file}\n");
    const created = await raworc(["create", "-f", objects, "--password-stdin"], "bot-password-123\n");
    ok(created, "create -f with a service account");
    const login = await runRaworc(["login", "--server", server.url, "-u", "team-x/bot", "--password-stdin"], { env: { RAWORC_CONFIG: join(dir, "bot.yaml.config") }, input: "bot-password-123" });
    ok(login, "the new account logs in");

    const apply = await raworc(["apply", "-f", await file("llm.yaml", "kind: Secret\nmetadata: {name: llm, namespace: team-x}\ndata: {ANTHROPIC_API_KEY: sk-2}\n")]);
    ok(apply, "apply secret");
    const secret = await raworc(["secrets", "get", "llm", "-n", "team-x", "-o", "yaml"]);
    assert.deepEqual((parse(secret.stdout) as { keys: string[] }).keys, ["ANTHROPIC_API_KEY"], "applied data is the whole data");
    assert.ok(!secret.stdout.includes("sk-"), "values never come back");
  });

  it("deletes what a file describes, dependents first", async () => {
    const deleted = await raworc(["delete", "-f", join(dir, "team.yaml")]);
    ok(deleted, "delete -f");
    assert.deepEqual(deleted.stdout.trimEnd().split("\n"), [
      "rolebinding/readers deleted in namespace team-x",
      "role/session-reader deleted in namespace team-x",
      "namespace/team-x terminating",
    ]);
    const gone = await raworc(["roles", "get", "session-reader", "-n", "team-x"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^raworc: not_found: /);
  });
});
