import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

const text = (value: string) => ({ step: { case: "text" as const, value } });
const pause = (ms: number) => ({ step: { case: "delay" as const, value: durationFromMs(ms) } });
const toolCall = (name: string, argumentsJson: string) => ({ step: { case: "toolCall" as const, value: { name, argumentsJson } } });

describe("raworc chat (end to end: real CLI, real server, real daemon with the scripted model)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;
  const env = () => ({ RAWORC_CONFIG: join(dir, "config.yaml") });
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: env(), input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${JSON.stringify(result)}`);

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-chat-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
    const agents = clientOf(AgentService, server.url, await login(server.url, "admin", server.adminPassword));
    await agents.createAgent({
      agent: {
        metadata: { namespace: "default", name: "scribe" },
        spec: {
          instructions: "Write notes.",
          tools: [{ name: "write_file" }],
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: {
              turns: [
                { match: "^note", steps: [text("Writing it down. "), toolCall("write_file", '{"path":"note.txt","content":"remember the milk\\n"}'), text("Saved to "), pause(100), text("note.txt.")] },
                { steps: [text("You asked me "), pause(100), text("to write a note.")] },
              ],
            },
          },
        },
      },
    });
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates a session, streams two turns in order with the tool call between the texts, and exits 0 at the end of input", async () => {
    const result = await raworc(["chat", "--agent", "scribe", "--name", "notes"], "note the milk\nwhat did you do?\n");
    ok(result, "chat");
    assert.match(result.stderr, /^created session default\/notes \(agents: scribe\); come back to it with: raworc chat notes -n default$/m);
    assert.match(result.stderr, /^Come back to it with: raworc chat notes -n default$/m);
    const lines = result.stdout.split("\n");
    const at = (pattern: RegExp) => {
      const i = lines.findIndex((l) => pattern.test(l));
      assert.ok(i >= 0, `no line ${pattern} in:\n${result.stdout}`);
      return i;
    };
    const order = [
      at(/^you> note the milk$/),
      at(/^scribe> Writing it down\. $/),
      at(/^ {2}tool write_file path=note\.txt content="remember the milk\\n" \(\S+\)$/),
      at(/^ {2}tool write_file succeeded \(\d+\.\ds\): /),
      at(/^scribe> Saved to note\.txt\.$/),
      at(/^── turn 1 completed( · [^·]+)* · \d+\.\ds$/),
      at(/^you> what did you do\?$/),
      at(/^scribe> You asked me to write a note\.$/),
      at(/^── turn 2 completed( · [^·]+)* · \d+\.\ds$/),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), `in order:\n${result.stdout}`);
    assert.ok(!result.stdout.includes("\u001b["), "no colour without a terminal");

    const history = await raworc(["sessions", "history", "notes"]);
    assert.equal(history.stdout.trimEnd().split("\n").length, 3, "exactly two turns: each line was sent once");
  });

  it("attaches to an existing session by namespace/name and exits 3 when a turn fails", async () => {
    const agents = clientOf(AgentService, server.url, await login(server.url, "admin", server.adminPassword));
    await agents.createAgent({
      agent: {
        metadata: { namespace: "default", name: "broken" },
        spec: { instructions: "Fail.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [text("Trying… "), { step: { case: "error", value: "the provider is down" } }] }] } } },
      },
    });
    ok(await raworc(["sessions", "create", "--agent", "broken", "--name", "fragile"]), "create");
    const result = await raworc(["chat", "default/fragile"], "try\n");
    assert.equal(result.code, 3, JSON.stringify(result));
    assert.match(result.stderr, /^chatting in session default\/fragile/m);
    assert.match(result.stdout, /^── turn 1 failed: \w+: .*provider is down/m);
  });
});
