import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState, ToolCallStatus, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";

/** Polls until `check` passes or `ms` elapse (bounded waiting, not a timing assertion). */
async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await fn();
    if (check(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen`);
}

describe("an agent's built-in tools end to end (real server, real daemon, fake OpenAI-compatible model)", function () {
  this.timeout(180_000);
  let t: TestServer;
  let fake: FakeOpenAi;
  let sessions: Client<typeof SessionService>;
  const apiKey = "sk-tools-e2e-3b1d";

  before(async () => {
    fake = await startFakeOpenAi();
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    sessions = clientOf(SessionService, t.url, token);
    await clientOf(SecretService, t.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": apiKey } } });
    await clientOf(AgentService, t.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "writer" },
        spec: {
          instructions: "Write files when asked.",
          model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } },
          tools: [{ name: "write_file" }, { name: "read_file" }],
        },
      },
    });
  });
  after(async () => {
    await t?.stop();
    await fake?.close();
  });

  const get = (name: string) => sessions.getSession({ ref: { namespace: "default", name } }).then((r) => r.session!);
  const workspace = (s: Session) => join(t.dataDir, "sessions", s.metadata!.uid, "workspace");

  it("runs write_file in the session's workspace, feeds the result back to the model, and streams each event once", async () => {
    fake.reply({ toolCalls: [{ id: "call_write_1", name: "write_file", argumentPieces: ['{"path":"out/hello.txt",', '"content":"written by the agent\\n"}'] }] });
    fake.reply({ text: ["Saved it."] });
    await sessions.createSession({ session: { metadata: { namespace: "default", name: "tools" }, spec: { agents: ["writer"] } } });
    const session = await eventually("READY", () => get("tools"), (s) => s.status?.state === SessionState.READY);

    const sent = await sessions.sendMessage({ ref: { namespace: "default", name: "tools" }, text: "save a greeting" });
    const abort = new AbortController();
    const events: SessionEvent[] = [];
    for await (const res of sessions.watchSession({ ref: { namespace: "default", name: "tools" }, fromSeq: sent.seq }, { signal: abort.signal })) {
      if (res.message.case !== "event") continue;
      events.push(res.message.value);
      const kind = res.message.value.payload.case;
      if (kind === "turnCompleted" || kind === "turnFailed" || kind === "turnCancelled") {
        abort.abort();
        break;
      }
    }
    const count = (kind: string) => events.filter((event) => event.payload.case === kind).length;
    assert.deepEqual(
      ["toolCallStarted", "toolCallCompleted", "textDelta", "turnCompleted"].map((kind) => [kind, count(kind)]),
      [["toolCallStarted", 1], ["toolCallCompleted", 1], ["textDelta", 1], ["turnCompleted", 1]],
      `events: ${events.map((event) => event.payload.case).join(", ")}`,
    );
    const started = events.find((event) => event.payload.case === "toolCallStarted");
    assert.equal(started?.payload.case === "toolCallStarted" && started.payload.value.toolCallId, "call_write_1");
    const completed = events.find((event) => event.payload.case === "toolCallCompleted");
    assert.equal(completed?.payload.case === "toolCallCompleted" && completed.payload.value.status, ToolCallStatus.SUCCEEDED);
    const text = events.find((event) => event.payload.case === "textDelta");
    assert.equal(text?.payload.case === "textDelta" && text.payload.value.text, "Saved it.");

    assert.equal(await readFile(join(workspace(session), "out/hello.txt"), "utf8"), "written by the agent\n");
    // The model was offered the tools, got the key from the secret, and saw the tool's result on its second call.
    assert.equal(fake.requests.length, 2);
    assert.equal(fake.requests[0]?.headers.authorization, `Bearer ${apiKey}`);
    const offered = (fake.requests[0]?.body.tools as { function: { name: string } }[]).map((tool) => tool.function.name);
    assert.deepEqual(offered, ["write_file", "read_file"]);
    const messages = fake.requests[1]?.body.messages as { role: string; tool_call_id?: string; content?: string }[];
    const result = messages.find((message) => message.role === "tool");
    assert.equal(result?.tool_call_id, "call_write_1");
    assert.match(result?.content ?? "", /wrote \d+ bytes to out\/hello.txt/);
  });
});
