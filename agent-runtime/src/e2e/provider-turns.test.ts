/**
 * Multi-step turns with tools for each provider, end to end: a real control plane (real
 * PostgreSQL) whose process runtime runs the daemon as a child process, and fake OpenAI (Chat
 * Completions and Responses) and Anthropic servers speaking the wire protocols the SDKs expect.
 * Each provider's model calls two tools in parallel, then a third after seeing their results,
 * then replies; the next turn's request must carry the first turn's calls and results, in the
 * form that provider requires. Usage is summed per turn and per session.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelApi, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ToolCallStatus } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import {
  startFakeAnthropic,
  startFakeOpenAi,
  startFakeOpenAiResponses,
  type FakeAnthropic,
  type FakeOpenAi,
  type FakeOpenAiResponses,
  type RecordedRequest,
} from "@raworc/test-support/fake-llm/index.js";
import { DrivenSession, payloads } from "../testing/session-driver.js";

const namespace = "default";
const apiKey = "sk-provider-e2e-51c0aa";

/** A provider-neutral view of one conversation item a fake received. */
type Seen = readonly ["user" | "assistant", string] | readonly ["call", string, string, string] | readonly ["result", string, string];

/** The conversation in an OpenAI Chat Completions request, checking tool messages follow the assistant message that made their calls. */
function fromChat(body: Record<string, unknown>): Seen[] {
  const seen: Seen[] = [];
  let openCalls = new Set<string>();
  for (const message of body.messages as { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[]) {
    if (message.role === "tool") {
      assert.ok(openCalls.has(message.tool_call_id ?? ""), `tool message ${message.tool_call_id} answers a call of the assistant message before it`);
      seen.push(["result", message.tool_call_id ?? "", message.content ?? ""]);
      continue;
    }
    openCalls = new Set();
    if (message.role === "system") continue;
    if (message.content) seen.push([message.role as "user" | "assistant", message.content]);
    for (const call of message.tool_calls ?? []) {
      openCalls.add(call.id);
      seen.push(["call", call.id, call.function.name, call.function.arguments]);
    }
  }
  return seen;
}

/** The conversation in a Responses request. */
function fromResponses(body: Record<string, unknown>): Seen[] {
  return (body.input as { type: string; role?: string; content?: string; call_id?: string; name?: string; arguments?: string; output?: string }[]).map((item): Seen => {
    if (item.type === "function_call") return ["call", item.call_id ?? "", item.name ?? "", item.arguments ?? ""];
    if (item.type === "function_call_output") return ["result", item.call_id ?? "", item.output ?? ""];
    return [item.role as "user" | "assistant", item.content ?? ""];
  });
}

/** The conversation in an Anthropic Messages request, checking roles alternate and every tool_use is answered in the next message. */
function fromAnthropic(body: Record<string, unknown>): Seen[] {
  const seen: Seen[] = [];
  type Block = { type: string; text?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: string };
  const messages = body.messages as { role: "user" | "assistant"; content: Block[] }[];
  messages.forEach((message, index) => {
    if (index > 0) assert.notEqual(message.role, messages[index - 1]?.role, "roles alternate");
    const uses = message.content.filter((block) => block.type === "tool_use").map((block) => block.id);
    const answered = (messages[index + 1]?.content ?? []).filter((block) => block.type === "tool_result").map((block) => block.tool_use_id);
    for (const id of uses) assert.ok(index === messages.length - 1 || answered.includes(id), `tool_use ${id} is answered by the next message`);
    for (const block of message.content) {
      if (block.type === "text") seen.push([message.role, block.text ?? ""]);
      else if (block.type === "tool_use") seen.push(["call", block.id ?? "", block.name ?? "", JSON.stringify(block.input)]);
      else if (block.type === "tool_result") seen.push(["result", block.tool_use_id ?? "", block.content ?? ""]);
    }
  });
  return seen;
}

/** One provider under test: its agent, how to script a reply, and how to read what its fake received. */
interface ProviderCase {
  readonly agent: string;
  readonly requests: () => RecordedRequest[];
  readonly text: (text: string, usage: { input: number; output: number }) => void;
  readonly calls: (calls: { id: string; name: string; pieces: string[] }[], usage: { input: number; output: number }) => void;
  readonly conversation: (body: Record<string, unknown>) => Seen[];
}

describe("multi-step turns with tools for each provider (real control plane, real daemon, fake LLM servers)", function () {
  this.timeout(240_000);
  let server: TestServer;
  let token: string;
  let chat: FakeOpenAi;
  let responses: FakeOpenAiResponses;
  let anthropic: FakeAnthropic;
  const driven: DrivenSession[] = [];
  const sessions = (): Client<typeof SessionService> => clientOf(SessionService, server.url, token);

  before(async () => {
    [chat, responses, anthropic] = await Promise.all([startFakeOpenAi(), startFakeOpenAiResponses(), startFakeAnthropic()]);
    server = await startTestServer();
    token = await login(server.url, "admin", server.adminPassword);
    await clientOf(SecretService, server.url, token).createSecret({ secret: { metadata: { namespace, name: "llm" }, data: { "api-key": apiKey } } });
    const tools = [{ name: "write_file" }, { name: "read_file" }, { name: "shell" }];
    const key = { secret: "llm", key: "api-key" };
    const pricing = { inputUsdPerMillionTokens: 1, outputUsdPerMillionTokens: 2 };
    const agents = clientOf(AgentService, server.url, token);
    for (const [name, model] of [
      ["chat", { provider: ModelProvider.OPENAI, api: ModelApi.CHAT_COMPLETIONS, baseUrl: chat.baseURL }],
      ["responses", { provider: ModelProvider.OPENAI, api: ModelApi.RESPONSES, baseUrl: responses.baseURL }],
      ["anthropic", { provider: ModelProvider.ANTHROPIC, baseUrl: anthropic.baseURL }],
      ["compatible", { provider: ModelProvider.OPENAI_COMPATIBLE, baseUrl: chat.baseURL }],
    ] as const) {
      await agents.createAgent({
        agent: { metadata: { namespace, name }, spec: { instructions: "Keep notes in files.", model: { ...model, name: "fake-model", apiKey: key, pricing }, tools } },
      });
    }
  });
  after(async () => {
    for (const session of driven) await session.stop();
    await server?.stop();
    await Promise.all([chat?.close(), responses?.close(), anthropic?.close()]);
  });

  const openAiChatCase = (agent: string): ProviderCase => ({
    agent,
    requests: () => chat.requests,
    text: (text, usage) => chat.reply({ text: [text], usage }),
    calls: (calls, usage) => chat.reply({ toolCalls: calls.map((call) => ({ id: call.id, name: call.name, argumentPieces: call.pieces })), usage }),
    conversation: fromChat,
  });
  const cases: ProviderCase[] = [
    openAiChatCase("chat"),
    {
      agent: "responses",
      requests: () => responses.requests,
      text: (text, usage) => responses.reply({ text: [text], usage }),
      calls: (calls, usage) => responses.reply({ toolCalls: calls.map((call) => ({ id: call.id, name: call.name, argumentPieces: call.pieces })), usage }),
      conversation: fromResponses,
    },
    {
      agent: "anthropic",
      requests: () => anthropic.requests,
      text: (text, usage) => anthropic.reply({ text: [text], usage }),
      calls: (calls, usage) => anthropic.reply({ toolUses: calls.map((call) => ({ id: call.id, name: call.name, jsonPieces: call.pieces })), usage }),
      conversation: fromAnthropic,
    },
    openAiChatCase("compatible"),
  ];

  for (const provider of cases) {
    it(`${provider.agent}: parallel tool calls, a second step on their results, a reply; the next turn carries all of it`, async () => {
      const id = (n: number) => `${provider.agent === "anthropic" ? "toolu" : "call"}_${provider.agent}_${n}`;
      provider.calls(
        [
          { id: id(1), name: "write_file", pieces: ['{"path":"a.txt",', '"content":"alpha\\n"}'] },
          { id: id(2), name: "shell", pieces: ['{"command":', '"echo beta > b.txt"}'] },
        ],
        { input: 100, output: 10 },
      );
      provider.calls([{ id: id(3), name: "read_file", pieces: ['{"path":"a.txt"}'] }], { input: 200, output: 20 });
      provider.text("Wrote a.txt and b.txt.", { input: 300, output: 30 });
      provider.text("I wrote two files.", { input: 400, output: 40 });
      const before = provider.requests().length;
      const session = await DrivenSession.start(sessions, namespace, `turns-${provider.agent}`, [provider.agent]);
      driven.push(session);

      const first = await session.turn("make notes");
      assert.equal(first.end.payload.case, "turnCompleted", `turn 1 ended ${first.end.payload.case}: ${first.end.payload.case === "turnFailed" ? first.end.payload.value.message : ""}`);
      const completed = payloads(first, "toolCallCompleted");
      assert.deepEqual(
        completed.map((call) => [call.toolCallId, call.tool, call.status]),
        [
          [id(1), "write_file", ToolCallStatus.SUCCEEDED],
          [id(2), "shell", ToolCallStatus.SUCCEEDED],
          [id(3), "read_file", ToolCallStatus.SUCCEEDED],
        ],
      );
      assert.equal(first.reply, "Wrote a.txt and b.txt.");
      const workspace = join(server.dataDir, "sessions", (await session.get()).metadata!.uid, "workspace");
      assert.equal(await readFile(join(workspace, "a.txt"), "utf8"), "alpha\n");
      assert.equal(await readFile(join(workspace, "b.txt"), "utf8"), "beta\n");
      // Usage: one ModelUsage per call, summed on TurnCompleted with the cost from the agent's pricing.
      assert.deepEqual(
        payloads(first, "usage").map((usage) => [Number(usage.usage?.inputTokens), Number(usage.usage?.outputTokens)]),
        [
          [100, 10],
          [200, 20],
          [300, 30],
        ],
      );
      const turnUsage = first.end.payload.case === "turnCompleted" ? first.end.payload.value.usage : undefined;
      assert.deepEqual([turnUsage?.inputTokens, turnUsage?.outputTokens], [600n, 60n]);
      assert.ok(Math.abs((turnUsage?.costUsd ?? 0) - (600 * 1 + 60 * 2) / 1_000_000) < 1e-12, `cost ${turnUsage?.costUsd}`);

      const second = await session.turn("what did you do?");
      assert.equal(second.reply, "I wrote two files.");
      const requests = provider.requests().slice(before);
      assert.equal(requests.length, 4, "three calls in turn 1, one in turn 2");
      const headers = requests[0]?.headers ?? {};
      assert.ok(headers.authorization === `Bearer ${apiKey}` || headers["x-api-key"] === apiKey, "the key from the secret reached the provider");
      // The second call of turn 1 saw the parallel calls' results.
      const step2 = provider.conversation(requests[1]!.body);
      assert.ok(step2.some((item) => item[0] === "result" && item[1] === id(1) && /wrote \d+ bytes to a.txt/.test(item[2])), JSON.stringify(step2));
      assert.ok(step2.some((item) => item[0] === "result" && item[1] === id(2)), JSON.stringify(step2));
      // Turn 2's request holds turn 1 whole: its message, every call with its arguments and result (each after its call), its reply.
      const history = provider.conversation(requests[3]!.body);
      const at = (predicate: (item: Seen) => boolean, what: string): number => {
        const index = history.findIndex(predicate);
        assert.ok(index >= 0, `${what} in ${JSON.stringify(history)}`);
        return index;
      };
      const userAt = at((item) => item[0] === "user" && item[1] === "make notes", "turn 1's message");
      const expectations: [number, string, string, RegExp][] = [
        [1, "write_file", '{"path":"a.txt","content":"alpha\\n"}', /wrote \d+ bytes to a.txt/],
        [2, "shell", '{"command":"echo beta > b.txt"}', /.*/],
        [3, "read_file", '{"path":"a.txt"}', /alpha/],
      ];
      for (const [n, name, args, output] of expectations) {
        const callAt = at((item) => item[0] === "call" && item[1] === id(n), `call ${n}`);
        // Anthropic takes arguments as an object, so they come back re-serialised.
        assert.deepEqual(history[callAt]?.slice(2), [name, provider.agent === "anthropic" ? JSON.stringify(JSON.parse(args)) : args]);
        const resultAt = at((item) => item[0] === "result" && item[1] === id(n), `result ${n}`);
        assert.ok(userAt < callAt && callAt < resultAt, `call ${n} then its result, after the message`);
        assert.match(history[resultAt]?.[2] ?? "", output);
      }
      const replyAt = at((item) => item[0] === "assistant" && item[1] === "Wrote a.txt and b.txt.", "turn 1's reply");
      assert.deepEqual(history.at(-1), ["user", "what did you do?"]);
      assert.ok(replyAt > userAt && replyAt < history.length - 1);

      // The session's usage is the sum of its turns'.
      const total = (await session.get()).status?.usage;
      assert.deepEqual([total?.inputTokens, total?.outputTokens], [1000n, 100n]);
      assert.ok(Math.abs((total?.costUsd ?? 0) - (1000 + 200) / 1_000_000) < 1e-12, `session cost ${total?.costUsd}`);
    });
  }
});
