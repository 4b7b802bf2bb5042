import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { runRaworc, spawnRaworc, type RaworcResult } from "../testing/raworc-process.js";

const exampleAgent = fileURLToPath(new URL("../../../docs/examples/scripted-agent.yaml", import.meta.url));
/** What the example agent's script says, in three streamed pieces. */
const exampleReply = "Hello! I am a scripted agent, replying without a model.";

/** A running `raworc` whose output is collected as it comes. */
function started(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawnRaworc(args, { env });
  const out = { stdout: "", stderr: "" };
  child.stdout?.on("data", (d: Buffer) => (out.stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  const until = async (pattern: RegExp, what: string) => {
    const deadline = Date.now() + 60_000;
    while (!pattern.test(out.stdout)) {
      if (Date.now() > deadline) assert.fail(`${what}: no ${pattern} in ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, out, exit, until };
}

describe("raworc sessions (end to end: real server, real daemons)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;
  const env = () => ({ RAWORC_CONFIG: join(dir, "config.yaml") });
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: env(), input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  const eventually = async (what: string, args: string[], pattern: RegExp) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await raworc(args);
      if (pattern.test(res.stdout)) return res;
      if (Date.now() > deadline) assert.fail(`${what}: no ${pattern} in ${JSON.stringify(res)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-sessions-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
    ok(await raworc(["agents", "create", "-f", exampleAgent]), "agents create");
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates, lists, gets and deletes a session; an unknown agent is NOT_FOUND; a deleted one takes no messages", async () => {
    const created = await raworc(["sessions", "create", "--agent", "greeter", "--name", "s1", "--prompt", "Hi there", "--label", "team=a"]);
    ok(created, "sessions create");
    assert.equal(created.stdout, "session/s1 created in namespace default\n");

    const table = await raworc(["sessions", "list"]);
    ok(table, "sessions list");
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME\s+NAMESPACE\s+STATE\s+AGENTS\s+TURNS\s+PARENT\s+CREATOR\s+AGE$/);
    assert.match(row ?? "", /^s1\s+default\s+(Pending|Starting|Ready|Busy)\s+greeter\s+\d+\s+-\s+admin\s+\d+s$/);
    assert.deepEqual(rest, []);
    assert.equal((await raworc(["sessions", "list", "--state", "Terminated"])).stderr, "No sessions found.\n");

    const got = await raworc(["sessions", "get", "s1", "-o", "json"]);
    ok(got, "sessions get");
    const session = JSON.parse(got.stdout) as { kind: string; metadata: { labels: Record<string, string> }; spec: { agents: string[]; initialPrompt: string }; creator: { name: string } };
    assert.deepEqual([session.kind, session.spec.agents, session.spec.initialPrompt, session.creator.name], ["Session", ["greeter"], "Hi there", "admin"]);
    assert.deepEqual(session.metadata.labels, { team: "a" });

    const unknown = await raworc(["sessions", "create", "--agent", "nobody"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'raworc: not_found: Agent "default/nobody" not found\n');

    ok(await raworc(["sessions", "create", "--agent", "greeter", "--name", "s2"]), "create s2");
    const deleted = await raworc(["sessions", "delete", "s2", "--retain-volume"]);
    ok(deleted, "sessions delete");
    assert.equal(deleted.stdout, "session/s2 terminating in namespace default\n");
    const refused = await raworc(["sessions", "send", "s2", "hello?", "--no-wait"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^raworc: failed_precondition: cannot send a message to session "default\/s2": it is TERMINAT(ING|ED)\n$/);
    await eventually("s2 TERMINATED", ["sessions", "list", "--state", "Terminated"], /^s2\s+default\s+Terminated\s/m);
    assert.equal((await raworc(["sessions", "list", "-n", "default"])).stdout.includes("s2"), false, "TERMINATED is hidden");
    const again = await raworc(["sessions", "delete", "s2"]);
    assert.equal(again.stdout, "session/s2 deleted in namespace default\n", "idempotent");
    const gone = await raworc(["sessions", "get", "s2"]);
    assert.match(gone.stdout, /^s2\s+default\s+Terminated\s/m, "a deleted session says so");

    ok(await raworc(["sessions", "create", "--agent", "greeter", "--name", "s2"]), "a deleted session's name is free once it is TERMINATED");
    assert.match((await raworc(["sessions", "get", "s2"])).stdout, /^s2\s+default\s+(Pending|Starting|Ready)\s/m, "the name means the new session");
    ok(await raworc(["sessions", "delete", "s2"]), "delete the new s2");
  });

  it("watch prints events as they happen with the reply inline; send prints the streamed reply; history lists the turns", async () => {
    const watch = started(["sessions", "watch", "s1"], env());
    await watch.until(/turn 1 completed/, "the first turn");
    const lines = () => watch.out.stdout.split("\n");
    assert.equal(lines()[0], "[1] message from admin: Hi there");
    assert.ok(lines().some((l) => /^\[\d+\] state Pending → Starting \(Scheduled\)$/.test(l)), watch.out.stdout);
    assert.ok(lines().some((l) => /^\[\d+\] (greeter: )?turn 1 started$/.test(l)), watch.out.stdout);
    assert.ok(lines().includes(exampleReply), `the reply streams inline on one line: ${watch.out.stdout}`);

    const send = await raworc(["sessions", "send", "s1", "Tell me more"]);
    ok(send, "sessions send");
    assert.equal(send.stdout, `${exampleReply}\n`);
    await watch.until(/turn 2 completed/, "the second turn");
    assert.ok(lines().some((l) => /^\[\d+\] message from admin: Tell me more$/.test(l)), watch.out.stdout);

    const history = await raworc(["sessions", "history", "s1"]);
    ok(history, "sessions history");
    const rows = history.stdout.trimEnd().split("\n");
    assert.match(rows[0] ?? "", /^TURN\s+INHERITED\s+AGENT\s+OUTCOME\s+STARTED\s+DURATION\s+TOKENS\s+CHECKPOINT\s+MESSAGE$/);
    assert.match(rows[1] ?? "", /^1\s+-\s+greeter\s+Completed\s+\S+Z\s+\d+\.\ds\s+(\S+\s+)?([0-9a-f]{12}\s+)?Hi there$/);
    assert.match(rows[2] ?? "", /^2\s+-\s+greeter\s+Completed\s+\S+Z\s+\d+\.\ds\s+(\S+\s+)?([0-9a-f]{12}\s+)?Tell me more$/);
    assert.equal(rows.length, 3);

    ok(await raworc(["sessions", "delete", "s1"]), "delete s1");
    assert.equal(await watch.exit, 0, watch.out.stderr);
    const last = lines().filter(Boolean).at(-1) ?? "";
    assert.match(last, /^\[\d+\] state Terminating → Terminated \(Deleted\)$/, "the watch ends once the session is TERMINATED");
    const seqs = lines().map((l) => /^\[(\d+)\]/.exec(l)?.[1]).filter((n): n is string => n !== undefined).map(Number);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "events in order");
    assert.equal(new Set(seqs).size, seqs.length, "none twice");

    const lastSeq = seqs.at(-1)!;
    const tail = await raworc(["sessions", "watch", "s1", "--from-seq", String(lastSeq - 1)]);
    ok(tail, "watch from a cursor");
    assert.equal(tail.stdout, `${last}\n`, "a watch from a cursor shows only what follows it");
  });

  it("history shows each turn's checkpoint, and remix --at-turn starts from an earlier one; a turn not ended yet is refused", async () => {
    ok(await raworc(["sessions", "create", "--agent", "greeter", "--name", "s3", "--prompt", "first"]), "create s3");
    await eventually("turn 1", ["sessions", "history", "s3"], /^1\s+-\s+greeter\s+Completed/m);
    ok(await raworc(["sessions", "send", "s3", "second"]), "send");
    const history = await eventually("both checkpoints", ["sessions", "history", "s3"], /^2\s+-\s+greeter\s+Completed\s.*\s[0-9a-f]{12}\s+second$/m);
    const first = /^1\s+-\s+greeter\s+Completed\s.*\s([0-9a-f]{12})\s+first$/m.exec(history.stdout)?.[1];
    assert.ok(first, history.stdout);
    const json = JSON.parse((await raworc(["sessions", "history", "s3", "-o", "json"])).stdout) as { turns: { number: number; checkpointId: string }[] };
    assert.equal(json.turns[0]?.checkpointId.slice(0, 12), first, "the table shows the id's first 12 digits");

    const remixed = await raworc(["sessions", "remix", "s3", "--at-turn", "1", "--name", "s3-fork"]);
    ok(remixed, "remix --at-turn 1");
    assert.equal(remixed.stdout, `session/s3-fork created in namespace default (remix of s3 at turn 1, checkpoint ${first})\n`);
    const inherited = await raworc(["sessions", "history", "s3-fork"]);
    assert.match(inherited.stdout, new RegExp(`^1\\s+s3\\s+greeter\\s+Completed\\s.*\\s${first}\\s+first$`, "m"), "the inherited turn, marked with the session that took it");
    ok(await raworc(["sessions", "send", "s3-fork", "third"]), "send to the fork");
    const fork = await eventually("the fork's own turn", ["sessions", "history", "s3-fork"], /^2\s+-\s+greeter\s+Completed\s.*third$/m);
    assert.equal(fork.stdout.trimEnd().split("\n").length, 3, `turn 1 inherited, turn 2 its own, s3's turn 2 not at all: ${fork.stdout}`);
    const tooFar = await raworc(["sessions", "remix", "s3", "--at-turn", "7"]);
    assert.equal(tooFar.code, 1);
    assert.match(tooFar.stderr, /^raworc: failed_precondition: session "default\/s3" has ended 2 turns: turn 7 has no end state yet/);
  });
});
