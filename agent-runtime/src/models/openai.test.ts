import assert from "node:assert/strict";
import { ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { openAiError, startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { ModelError } from "../errors.js";
import { canaryKey, collect, testModel, textOf } from "./provider-test-kit.js";

describe("OpenAI adapter (Chat Completions) against a fake OpenAI server", () => {
  let fake: FakeOpenAi;
  beforeEach(async () => (fake = await startFakeOpenAi()));
  afterEach(() => fake.close());

  for (const provider of [ModelProvider.OPENAI, ModelProvider.OPENAI_COMPATIBLE]) {
    it(`${ModelProvider[provider]}: streams a text reply, reports usage, and sends the secret's key`, async () => {
      const { model, logs } = testModel(provider, fake.baseURL);
      fake.reply({ text: ["Hel", "lo", "!"], usage: { input: 11, output: 3, cached: 2 } });
      const events = await collect(model, [{ type: "user", text: "hi" }]);
      assert.equal(textOf(events), "Hello!");
      assert.deepEqual(events.filter((event) => event.type === "text_delta").length, 3);
      assert.deepEqual(events.at(-2), { type: "usage", usage: { inputTokens: 11, outputTokens: 3, cachedInputTokens: 2 } });
      assert.deepEqual(events.at(-1), { type: "done", stopReason: "end_turn" });
      const request = fake.requests[0]!;
      assert.equal(request.headers.authorization, `Bearer ${canaryKey}`);
      assert.equal(request.body.model, "fake-model");
      assert.equal(request.body.stream, true);
      assert.deepEqual(request.body.stream_options, { include_usage: true });
      assert.equal(request.body.temperature, 0.2);
      assert.deepEqual(request.body.messages, [
        { role: "system", content: "Be brief." },
        { role: "user", content: "hi" },
      ]);
      assert.equal((request.body.tools as unknown[]).length, 1);
      assert.ok(!logs.join("").includes(canaryKey));
    });
  }

  it("assembles parallel tool calls whose arguments arrive in pieces, and sends tool runs back grouped", async () => {
    const { model } = testModel(ModelProvider.OPENAI, fake.baseURL);
    fake.reply({
      text: ["Checking."],
      toolCalls: [
        { id: "call_a", name: "shell", argumentPieces: ['{"com', 'mand":', '"ls"}'] },
        { id: "call_b", name: "shell", argumentPieces: ['{"command"', ':"pwd"}'] },
      ],
      usage: { input: 5, output: 9 },
    });
    const events = await collect(model, [{ type: "user", text: "look" }]);
    assert.deepEqual(
      events.filter((event) => event.type === "tool_call"),
      [
        { type: "tool_call", callId: "call_a", name: "shell", argumentsJson: '{"command":"ls"}' },
        { type: "tool_call", callId: "call_b", name: "shell", argumentsJson: '{"command":"pwd"}' },
      ],
    );
    assert.deepEqual(events.at(-1), { type: "done", stopReason: "tool_use" });

    fake.reply({ text: ["Done."] });
    await collect(model, [
      { type: "user", text: "look" },
      { type: "assistant", text: "Checking." },
      { type: "tool_call", callId: "call_a", name: "shell", argumentsJson: '{"command":"ls"}' },
      { type: "tool_result", callId: "call_a", output: "a.txt", isError: false },
      { type: "tool_call", callId: "call_b", name: "shell", argumentsJson: '{"command":"pwd"}' },
      { type: "tool_result", callId: "call_b", output: "denied", isError: true },
    ]);
    assert.deepEqual((fake.requests[1]!.body.messages as unknown[]).slice(2), [
      {
        role: "assistant",
        content: "Checking.",
        tool_calls: [
          { id: "call_a", type: "function", function: { name: "shell", arguments: '{"command":"ls"}' } },
          { id: "call_b", type: "function", function: { name: "shell", arguments: '{"command":"pwd"}' } },
        ],
      },
      { role: "tool", tool_call_id: "call_a", content: "a.txt" },
      { role: "tool", tool_call_id: "call_b", content: "error: denied" },
    ]);
  });

  it("retries a 429 after the retry-after it names, then succeeds", async () => {
    const { model, logs } = testModel(ModelProvider.OPENAI, fake.baseURL);
    fake.enqueue(openAiError(429, "Rate limit reached", { "retry-after": "0" }), openAiError(429, "Rate limit reached", { "retry-after-ms": "1" }));
    fake.reply({ text: ["ok"] });
    assert.equal(textOf(await collect(model, [{ type: "user", text: "hi" }])), "ok");
    assert.equal(fake.requests.length, 3);
    assert.ok(!logs.join("").includes(canaryKey));
  });

  it("ends a 500 storm with a clear ModelError after the allowed attempts", async () => {
    const { model } = testModel(ModelProvider.OPENAI, fake.baseURL, 2);
    for (let index = 0; index < 5; index++) fake.enqueue(openAiError(500, "The server had an error"));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.status, 500);
      assert.match(error.message, /OpenAI answered HTTP 500 The server had an error \(gave up after 3 attempts\)/);
      return true;
    });
    assert.equal(fake.requests.length, 3);
  });

  it("does not retry a 400 and reports OpenAI's message; echoes of the key are scrubbed", async () => {
    const { model } = testModel(ModelProvider.OPENAI, fake.baseURL);
    fake.enqueue(openAiError(401, `Incorrect API key provided: ${canaryKey}`));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => {
      assert.ok(error instanceof ModelError && !error.retryable);
      assert.ok(!error.message.includes(canaryKey));
      assert.match(error.message, /401 Incorrect API key provided: \[redacted\]/);
      return true;
    });
    assert.equal(fake.requests.length, 1);
  });

  it("fails with a ModelError on an error inside the stream, after the text before it", async () => {
    const { model } = testModel(ModelProvider.OPENAI, fake.baseURL);
    fake.reply({ text: ["partial"], errorMidStream: "upstream overloaded" });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: [{ type: "user", text: "hi" }], tools: [], turn: 1, signal: new AbortController().signal })) {
          if (event.type === "text_delta") seen.push(event.text);
        }
      })(),
      (error) => error instanceof ModelError && /upstream overloaded/.test(error.message),
    );
    assert.deepEqual(seen, ["partial"]);
    assert.equal(fake.requests.length, 1, "a call that already streamed is not retried");
  });

  it("stops promptly when its AbortSignal aborts mid-stream, with the signal's reason", async () => {
    const { model } = testModel(ModelProvider.OPENAI, fake.baseURL);
    fake.reply({ text: ["first"], hold: true });
    const controller = new AbortController();
    const reason = new Error("cancelled by test");
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: [{ type: "user", text: "hi" }], tools: [], turn: 1, signal: controller.signal })) {
          if (event.type === "text_delta") {
            seen.push(event.text);
            controller.abort(reason);
          }
        }
      })(),
      (error) => error === reason,
    );
    assert.deepEqual(seen, ["first"]);
    await fake.clientClosed;
  });
});
