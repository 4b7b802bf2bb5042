/**
 * What a user sees when the model misbehaves, end to end (real control plane, real daemon, a
 * fake OpenAI server): a 429 with retry-after is waited out inside the turn; a 500 storm and a
 * 401 end the turn with a clear TurnFailed and the daemon answers the next message; malformed
 * tool arguments and an unknown tool come back to the model as failed calls it can repair; a
 * model that keeps calling tools is stopped at the agent's bound; CancelTurn during a model
 * stream ends the turn cancelled and the provider sees the request go away, and during a shell
 * tool kills the tool's whole process group.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ToolCallStatus } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { openAiError, startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { DrivenSession, eventually, payloads, type TurnResult } from "../testing/session-driver.js";

const namespace = "default";
const apiKey = "sk-faults-e2e-90d1ee";

/** How a turn ended: its closing case and, for a failed or cancelled one, reason and message. */
function outcome(result: TurnResult): [string, string, string] {
  const p = result.end.payload;
  if (p.case === "turnFailed") return [p.case, p.value.reason, p.value.message];
  if (p.case === "turnCancelled") return [p.case, p.value.reason, ""];
  return [p.case ?? "", "", ""];
}

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** The tool results the model was given back in a Chat Completions request, by call id. */
function toolMessages(body: Record<string, unknown>): Map<string, string> {
  const messages = body.messages as { role: string; tool_call_id?: string; content?: string }[];
  return new Map(messages.filter((message) => message.role === "tool").map((message) => [message.tool_call_id ?? "", message.content ?? ""]));
}

describe("model faults and cancel end to end (real control plane, real daemon, fake OpenAI)", function () {
  this.timeout(240_000);
  let server: TestServer;
  let token: string;
  let fake: FakeOpenAi;
  let session: DrivenSession;
  const sessions = (): Client<typeof SessionService> => clientOf(SessionService, server.url, token);

  before(async () => {
    fake = await startFakeOpenAi();
    server = await startTestServer();
    token = await login(server.url, "admin", server.adminPassword);
    await clientOf(SecretService, server.url, token).createSecret({ secret: { metadata: { namespace, name: "llm" }, data: { "api-key": apiKey } } });
    const model = { provider: ModelProvider.OPENAI, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } };
    const agents = clientOf(AgentService, server.url, token);
    await agents.createAgent({ agent: { metadata: { namespace, name: "faulty" }, spec: { model, tools: [{ name: "write_file" }, { name: "shell" }] } } });
    await agents.createAgent({
      agent: { metadata: { namespace, name: "looper" }, spec: { model, tools: [{ name: "shell" }], guardrails: { budgets: { maxModelCallsPerTurn: 3 } } } },
    });
    session = await DrivenSession.start(sessions, namespace, "faults", ["faulty", "looper"]);
  });
  after(async () => {
    await session?.stop();
    await server?.stop();
    await fake?.close();
  });

  it("waits out a 429's retry-after inside the turn, then streams the reply", async () => {
    const before = fake.requests.length;
    fake.enqueue(openAiError(429, "Rate limit reached for requests", { "retry-after": "1" }));
    fake.reply({ text: ["after the wait"] });
    const result = await session.turn("hello");
    assert.deepEqual(outcome(result), ["turnCompleted", "", ""]);
    assert.equal(result.reply, "after the wait");
    assert.equal(fake.requests.length - before, 2, "one refused request, one retry");
  });

  it("ends the turn with a clear TurnFailed on a 500 storm, then answers the next message", async () => {
    const before = fake.requests.length;
    // The daemon's default policy: 3 retries, each honouring the retry-after of 0 s.
    for (let index = 0; index < 4; index++) fake.enqueue(openAiError(500, "The server had an error while processing your request", { "retry-after": "0" }));
    const failed = await session.turn("are you there?");
    const [kind, reason, message] = outcome(failed);
    assert.deepEqual([kind, reason], ["turnFailed", "ModelError"]);
    assert.match(message, /^OpenAI answered HTTP 500 The server had an error while processing your request \(gave up after 4 attempts\)$/);
    assert.equal(fake.requests.length - before, 4);

    fake.reply({ text: ["back again"] });
    const next = await session.turn("now?");
    assert.deepEqual([outcome(next)[0], next.reply], ["turnCompleted", "back again"]);
  });

  it("ends the turn on a 401 without retrying or echoing the key, then answers the next message", async () => {
    const before = fake.requests.length;
    fake.enqueue(openAiError(401, `Incorrect API key provided: ${apiKey}.`));
    const failed = await session.turn("hello?");
    const [kind, reason, message] = outcome(failed);
    assert.deepEqual([kind, reason], ["turnFailed", "ModelError"]);
    assert.match(message, /^OpenAI answered HTTP 401 Incorrect API key provided: \[redacted\]\.$/);
    assert.ok(!message.includes(apiKey));
    assert.equal(fake.requests.length - before, 1, "a 401 is not retried");

    fake.reply({ text: ["fine now"] });
    assert.equal((await session.turn("and now?")).reply, "fine now");
  });

  it("gives malformed arguments back as a failed call that says so; the model repairs the call and the turn completes", async () => {
    const before = fake.requests.length;
    fake.reply({ toolCalls: [{ id: "call_bad", name: "write_file", argumentPieces: ['{"path": "fixed.txt", "content": '] }] });
    fake.reply({ toolCalls: [{ id: "call_fixed", name: "write_file", argumentPieces: ['{"path": "fixed.txt", "content": "ok"}'] }] });
    fake.reply({ text: ["Repaired."] });
    const result = await session.turn("write fixed.txt");
    assert.deepEqual(outcome(result), ["turnCompleted", "", ""]);
    const completed = payloads(result, "toolCallCompleted");
    assert.deepEqual(
      completed.map((call) => [call.toolCallId, call.status]),
      [
        ["call_bad", ToolCallStatus.FAILED],
        ["call_fixed", ToolCallStatus.SUCCEEDED],
      ],
    );
    assert.match(completed[0]?.error ?? "", /the arguments are not valid JSON/);
    assert.match(toolMessages(fake.requests[before + 1]!.body).get("call_bad") ?? "", /^error: the arguments are not valid JSON/);
    assert.equal(result.reply, "Repaired.");
  });

  it("answers a call of an unknown tool with a failed call naming it, and the model goes on", async () => {
    const before = fake.requests.length;
    fake.reply({ toolCalls: [{ id: "call_unknown", name: "delete_everything", argumentPieces: ["{}"] }] });
    fake.reply({ text: ["I cannot do that."] });
    const result = await session.turn("delete everything");
    assert.deepEqual(outcome(result), ["turnCompleted", "", ""]);
    const [call] = payloads(result, "toolCallCompleted");
    assert.deepEqual([call?.tool, call?.status], ["delete_everything", ToolCallStatus.FAILED]);
    assert.match(call?.error ?? "", /unknown tool "delete_everything"/);
    assert.match(toolMessages(fake.requests[before + 1]!.body).get("call_unknown") ?? "", /unknown tool "delete_everything"/);
  });

  it("fails a turn whose model keeps calling tools once it reaches the agent's bound of model calls", async () => {
    const before = fake.requests.length;
    for (let index = 1; index <= 3; index++) fake.reply({ toolCalls: [{ id: `call_loop_${index}`, name: "shell", argumentPieces: ['{"command": "true"}'] }] });
    const result = await session.turn("loop forever", "looper");
    const [kind, reason, message] = outcome(result);
    // The bound is the max_model_calls_per_turn budget: a GuardrailDecision names it and the turn fails BudgetExceeded.
    assert.deepEqual([kind, reason], ["turnFailed", "BudgetExceeded"]);
    assert.match(message, /the turn made 3 model calls, the most allowed/);
    const [decision] = payloads(result, "guardrailDecision");
    assert.equal(decision?.rule, "guardrails.budgets.max_model_calls_per_turn");
    assert.equal(fake.requests.length - before, 3, "no call past the bound");
    assert.equal(payloads(result, "toolCallCompleted").length, 3);
  });

  it("CancelTurn during a model stream ends the turn cancelled, the provider sees the request aborted, and the next message completes", async () => {
    fake.reply({ text: ["thinking"], hold: true });
    const turn = await session.send("think hard");
    await session.follower.waitFor("the first delta", (event) => event.turn === turn && event.payload.case === "textDelta");
    const response = await sessions().cancelTurn({ ref: session.ref, reason: "enough" });
    assert.equal(response.turn, turn);
    const cancelled = await session.ended(turn);
    assert.deepEqual(outcome(cancelled), ["turnCancelled", "Cancelled", ""]);
    await fake.clientClosed;

    fake.reply({ text: ["still here"] });
    assert.equal((await session.turn("still there?")).reply, "still here");
  });

  it("CancelTurn during a running shell tool kills its whole process group and ends the turn cancelled; the next message completes", async () => {
    const before = fake.requests.length;
    const command = "sleep 30 & echo $! > sleep.pid; echo $$ > shell.pid; wait";
    fake.reply({ toolCalls: [{ id: "call_sleep", name: "shell", argumentPieces: [JSON.stringify({ command })] }] });
    const workspace = join(server.dataDir, "sessions", (await session.get()).metadata!.uid, "workspace");
    const turn = await session.send("sleep a while");
    const pidIn = async (file: string): Promise<number> => Number((await readFile(join(workspace, file), "utf8").catch(() => "")).trim());
    const [shellPid, sleepPid] = await eventually("the shell and its sleep running", () => Promise.all([pidIn("shell.pid"), pidIn("sleep.pid")]), (pids) => pids.every((pid) => pid > 0));
    assert.ok(alive(shellPid) && alive(sleepPid));

    assert.equal((await sessions().cancelTurn({ ref: session.ref, turn, reason: "too slow" })).turn, turn);
    // Well inside the 30 s the sleep would take: the cancel, not the sleep, ended the turn.
    const cancelled = await session.ended(turn, 20_000);
    assert.deepEqual(outcome(cancelled), ["turnCancelled", "Cancelled", ""]);
    assert.equal(payloads(cancelled, "toolCallCompleted")[0]?.status, ToolCallStatus.CANCELLED);
    await eventually("the shell and its background sleep gone", () => Promise.resolve([alive(shellPid), alive(sleepPid)]), (left) => !left.some(Boolean), 20_000);
    assert.equal(fake.requests.length - before, 1, "the model is not called after the cancel");

    fake.reply({ text: ["awake"] });
    assert.equal((await session.turn("awake?")).reply, "awake");
    assert.ok(toolMessages(fake.requests.at(-1)!.body).has("call_sleep"), "the cancelled call is answered in the next turn's history");
  });
});
