import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { parse, stringify } from "yaml";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

/** The example the README uses. */
const examplesDir = fileURLToPath(new URL("../../../docs/examples/", import.meta.url));
const exampleAgent = join(examplesDir, "scripted-agent.yaml");

interface AgentYaml {
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; resourceVersion: string };
  spec: { description: string; model: { provider: string; scripted: { turns: { steps: Record<string, string>[] }[] } } };
}

describe("raworc agents (end to end, against a real server)", function () {
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
    dir = await mkdtemp(join(tmpdir(), "raworc-agents-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
    ok(await raworc(["namespaces", "create", "team-a"]), "create team-a");
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates the example scripted agent from its file and lists it", async () => {
    const created = await raworc(["agents", "create", "-f", exampleAgent, "-n", "team-a"]);
    ok(created, "agents create -f");
    assert.equal(created.stdout, "agent/greeter created in namespace team-a\n");

    const table = await raworc(["agents", "list", "-n", "team-a"]);
    ok(table, "agents list");
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME\s+NAMESPACE\s+PROVIDER\s+MODEL\s+TOOLS\s+DESCRIPTION\s+AGE$/);
    assert.match(row ?? "", /^greeter\s+team-a\s+Scripted\s+-\s+-\s+Replies to any message with a short greeting/);
    assert.deepEqual(rest, []);
    assert.match((await raworc(["agents", "list", "-A", "-l", "example=scripted"])).stdout, /^greeter\s+team-a\s/m);
    assert.equal((await raworc(["agents", "list", "-l", "example=other"])).stderr, "No agents found.\n");

    const saved = (await raworc(["agents", "get", "greeter", "-n", "team-a", "-o", "yaml"])).stdout;
    const agent = parse(saved) as AgentYaml;
    assert.equal(agent.kind, "Agent");
    assert.equal(agent.spec.model.provider, "MODEL_PROVIDER_SCRIPTED");
    assert.deepEqual(agent.spec.model.scripted.turns[0]?.steps, [{ text: "Hello! " }, { delay: "0.200s" }, { text: "I am a scripted agent, " }, { delay: "0.200s" }, { text: "replying without a model." }]);
    assert.equal((await raworc(["agents", "apply", "-f", exampleAgent, "-n", "team-a"])).stdout, "agent/greeter unchanged in namespace team-a\n");

    agent.spec.description = "Greets.";
    const applied = await raworc(["apply", "-f", await file("edited.yaml", stringify(agent))]);
    ok(applied, "apply an edited -o yaml file");
    assert.equal(applied.stdout, "agent/greeter configured in namespace team-a\n");
    const stale = await raworc(["apply", "-f", await file("stale.yaml", saved.replace("Replies to any message", "Answers any message"))]);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^raworc: .*stale\.yaml \(agent\/greeter\): aborted: /);
  });

  it("accepts every example agent in docs/examples as the server validates it", async () => {
    const yamls = (await readdir(examplesDir)).filter((name) => name.endsWith(".yaml"));
    // Other kinds have examples there too (a webhook).
    const examples: string[] = [];
    for (const name of yamls) if (/^kind: Agent$/m.test(await readFile(join(examplesDir, name), "utf8"))) examples.push(name);
    assert.ok(examples.length >= 4, `examples found: ${examples.join(", ")}`);
    ok(await raworc(["namespaces", "create", "examples"]), "create examples");
    for (const name of examples) {
      const created = await raworc(["agents", "create", "-f", join(examplesDir, name), "-n", "examples"]);
      ok(created, `agents create -f docs/examples/${name}`);
    }
  });

  it("reads snake_case fields and short enum names, and shows a refused spec's fields", async () => {
    const spec = (extra: string) => `kind: Agent\nmetadata: {name: shell-bot, namespace: team-a}\nspec:\n  model: {provider: openai-compatible, name: llama3, base_url: "http://localhost:11434/v1"}\n  tools: [{name: shell, require_approval: true}]\n${extra}`;
    const bad = await raworc(["create", "-f", await file("bad.yaml", spec("  routing_patterns: ['(?=lookahead)', '^ok$', '[']\n"))]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /bad\.yaml \(agent\/shell-bot\): invalid_argument: agent\.spec\.routing_patterns\[0\]: is not a valid RE2 pattern/);
    assert.match(bad.stderr, /\n {2}agent\.spec\.routing_patterns\[2\]: is not a valid RE2 pattern/, "every violation is listed");
    assert.equal((await raworc(["agents", "get", "shell-bot", "-n", "team-a"])).code, 1, "nothing was created");

    const good = await raworc(["agents", "create", "-f", await file("good.yaml", spec("  routing_patterns: ['^run ']\n"))]);
    ok(good, "create with snake_case fields");
    assert.match((await raworc(["agents", "get", "shell-bot", "-n", "team-a"])).stdout, /^shell-bot\s+team-a\s+OpenaiCompatible\s+llama3\s+shell\s/m);

    const unknown = await raworc(["agents", "create", "-f", "-"], "kind: Agent\nmetadata: {name: x}\nspec: {model: {provider: gemini}}\n");
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown spec\.model\.provider value "gemini" \(use one of: Openai, OpenaiCompatible, Anthropic, Scripted\)/);
  });

  it("deletes agents by name", async () => {
    const deleted = await raworc(["agents", "delete", "greeter", "shell-bot", "-n", "team-a"]);
    ok(deleted, "agents delete");
    assert.equal(deleted.stdout, "agent/greeter deleted in namespace team-a\nagent/shell-bot deleted in namespace team-a\n");
    const gone = await raworc(["agents", "get", "greeter", "-n", "team-a"]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^raworc: not_found: Agent "team-a\/greeter" not found/);
  });
});
