import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ApprovalOutcome, SessionState, ToolCallStatus, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

/** Polls `fn` until `check` passes (bounded waiting, not a timing assertion). */
async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("raworc sessions approve|deny (end to end: real server, real daemon, fake model)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let fake: FakeOpenAi;
  let dir: string;
  let sessions: Client<typeof SessionService>;
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: { RAWORC_CONFIG: join(dir, "config.yaml") }, input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);
  const ref = (name: string) => ({ namespace: "default", name });

  before(async () => {
    fake = await startFakeOpenAi();
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-approvals-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
    const token = await login(server.url, "admin", server.adminPassword);
    sessions = clientOf(SessionService, server.url, token);
    await clientOf(SecretService, server.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": "sk-cli-approvals" } } });
    await clientOf(AgentService, server.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "careful" },
        spec: {
          instructions: "Ask before touching anything.",
          model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } },
          tools: [{ name: "shell", requireApproval: true }],
        },
      },
    });
  });
  after(async () => {
    await server?.stop();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Sends `text` to `name`, waits for the call to wait for approval, runs `answer`, and returns the turn's events once it ended. */
  async function turnWith(name: string, callId: string, command: string, answer: () => Promise<void>): Promise<SessionEvent[]> {
    fake.reply({ toolCalls: [{ id: callId, name: "shell", argumentPieces: [JSON.stringify({ command })] }] });
    fake.reply({ text: ["done"] });
    const sent = await sessions.sendMessage({ ref: ref(name), text: "please" });
    await eventually("the approval request", () => sessions.getSession({ ref: ref(name) }), (r) => r.session?.status?.pendingApprovals.some((p) => p.toolCallId === callId) ?? false);
    await answer();
    return eventually(
      "the turn's end",
      async () => (await sessions.listEvents({ ref: ref(name), fromSeq: sent.seq, limit: 1000 })).events,
      (events) => events.some((e) => e.payload.case === "turnCompleted" || e.payload.case === "turnFailed"),
    );
  }

  const outcome = (events: readonly SessionEvent[]) => {
    const resolved = events.find((e) => e.payload.case === "approvalResolved");
    const completed = events.find((e) => e.payload.case === "toolCallCompleted");
    return [
      resolved?.payload.case === "approvalResolved" ? ApprovalOutcome[resolved.payload.value.outcome] : "",
      resolved?.payload.case === "approvalResolved" ? resolved.payload.value.reason : "",
      completed?.payload.case === "toolCallCompleted" ? ToolCallStatus[completed.payload.value.status] : "",
    ];
  };

  it("approve runs the waiting call; deny refuses it; a call that no longer waits is a failed precondition", async () => {
    ok(await raworc(["sessions", "create", "--agent", "careful", "--name", "careful-1"]), "create");
    await eventually("READY", () => sessions.getSession({ ref: ref("careful-1") }), (r) => r.session?.status?.state === SessionState.READY);

    const approved = await turnWith("careful-1", "call_yes", "echo approved-run", async () => {
      const result = await raworc(["sessions", "approve", "careful-1", "call_yes", "--reason", "looks safe"]);
      ok(result, "approve");
      assert.equal(result.stdout, "tool call call_yes approved in session/careful-1\n");
    });
    assert.deepEqual(outcome(approved), ["APPROVED", "looks safe", "SUCCEEDED"]);
    const output = approved.find((e) => e.payload.case === "toolCallCompleted");
    assert.match(output?.payload.case === "toolCallCompleted" ? output.payload.value.output : "", /approved-run/);

    const denied = await turnWith("careful-1", "call_no", "echo should-not-run", async () => {
      ok(await raworc(["sessions", "deny", "careful-1", "call_no", "--reason", "no"]), "deny");
    });
    assert.deepEqual(outcome(denied), ["DENIED", "no", "DENIED"]);

    const late = await raworc(["sessions", "approve", "careful-1", "call_no"]);
    assert.equal(late.code, 1);
    assert.match(late.stderr, /^raworc: failed_precondition: no tool call "call_no" is waiting for approval in session "default\/careful-1"\n$/);
  });
});
