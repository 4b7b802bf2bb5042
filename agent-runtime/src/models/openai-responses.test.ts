import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ModelApi, ModelProvider, ModelSpecSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { openAiError, startFakeOpenAiResponses, type FakeOpenAiResponses } from "@raworc/test-support/fake-llm/index.js";
import { ModelError } from "../errors.js";
import { createLogger } from "../logger.js";
import { createModelFactory } from "./create-model.js";
import type { ModelStreamEvent } from "./model.js";
import { canaryKey, collect, testModel, textOf } from "./provider-test-kit.js";

const responsesModel = (fake: FakeOpenAiResponses, maxRetries = 3, provider = ModelProvider.OPENAI) => testModel(provider, fake.baseURL, maxRetries, ModelApi.RESPONSES);

describe("OpenAI adapter (Responses API) against a fake OpenAI server", () => {
  let fake: FakeOpenAiResponses;
  beforeEach(async () => (fake = await startFakeOpenAiResponses()));
  afterEach(() => fake.close());

  for (const provider of [ModelProvider.OPENAI, ModelProvider.OPENAI_COMPATIBLE]) {
    it(`${ModelProvider[provider]}: streams a text reply, reports usage with cached tokens, and sends instructions, input and the key`, async () => {
      const { model, logs } = responsesModel(fake, 3, provider);
      fake.reply({ text: ["Hel", "lo", "!"], usage: { input: 11, output: 3, cached: 4 } });
      const events = await collect(model, [{ type: "user", text: "hi" }]);
      assert.equal(textOf(events), "Hello!");
      assert.equal(events.filter((event) => event.type === "text_delta").length, 3);
      assert.deepEqual(events.at(-2), { type: "usage", usage: { inputTokens: 11, outputTokens: 3, cachedInputTokens: 4 } });
      assert.deepEqual(events.at(-1), { type: "done", stopReason: "end_turn" });
      const request = fake.requests[0]!;
      assert.equal(request.path, "/v1/responses");
      assert.equal(request.headers.authorization, `Bearer ${canaryKey}`);
      assert.equal(request.body.model, "fake-model");
      assert.equal(request.body.stream, true);
      assert.equal(request.body.store, false);
      assert.equal(request.body.instructions, "Be brief.");
      assert.equal(request.body.temperature, 0.2);
      assert.deepEqual(request.body.input, [{ type: "message", role: "user", content: "hi" }]);
      assert.deepEqual(request.body.tools, [
        {
          type: "function",
          name: "shell",
          description: "Runs a command",
          parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
          strict: false,
        },
      ]);
      assert.ok(!logs.join("").includes(canaryKey));
    });
  }

  it("assembles parallel function calls whose arguments arrive as deltas, and sends calls and outputs back as items", async () => {
    const { model } = responsesModel(fake);
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
    assert.deepEqual(fake.requests[1]!.body.input, [
      { type: "message", role: "user", content: "look" },
      { type: "message", role: "assistant", content: "Checking." },
      { type: "function_call", call_id: "call_a", name: "shell", arguments: '{"command":"ls"}' },
      { type: "function_call_output", call_id: "call_a", output: "a.txt" },
      { type: "function_call", call_id: "call_b", name: "shell", arguments: '{"command":"pwd"}' },
      { type: "function_call_output", call_id: "call_b", output: "error: denied" },
    ]);
  });

  it("reports a response cut at max_output_tokens as stop reason max_tokens", async () => {
    const { model } = responsesModel(fake);
    fake.reply({ text: ["trunc"], incomplete: "max_output_tokens", usage: { input: 3, output: 50 } });
    const events = await collect(model, [{ type: "user", text: "long" }]);
    assert.deepEqual(events.at(-1), { type: "done", stopReason: "max_tokens" });
  });

  it("retries a 429 after the retry-after it names, then succeeds", async () => {
    const { model, logs } = responsesModel(fake);
    fake.enqueue(openAiError(429, "Rate limit reached", { "retry-after": "0" }), openAiError(429, "Rate limit reached", { "retry-after-ms": "1" }));
    fake.reply({ text: ["ok"] });
    assert.equal(textOf(await collect(model, [{ type: "user", text: "hi" }])), "ok");
    assert.equal(fake.requests.length, 3);
    assert.ok(!logs.join("").includes(canaryKey));
  });

  it("ends a 500 storm with a clear ModelError after the allowed attempts", async () => {
    const { model } = responsesModel(fake, 2);
    for (let index = 0; index < 5; index++) fake.enqueue(openAiError(500, "The server had an error"));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => {
      assert.ok(error instanceof ModelError);
      assert.equal(error.status, 500);
      assert.match(error.message, /OpenAI answered HTTP 500 The server had an error \(gave up after 3 attempts\)/);
      return true;
    });
    assert.equal(fake.requests.length, 3);
  });

  it("honours ModelSpec.max_retries over the daemon's policy", async () => {
    const factory = createModelFactory({ log: createLogger("silent", {}), secret: () => canaryKey, retry: { maxRetries: 5, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000 } });
    const spec = create(ModelSpecSchema, { provider: ModelProvider.OPENAI, api: ModelApi.RESPONSES, name: "m", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "k" }, maxRetries: 1 });
    for (let index = 0; index < 5; index++) fake.enqueue(openAiError(503, "unavailable", { "retry-after": "0" }));
    await assert.rejects(collect(factory(spec), [{ type: "user", text: "hi" }]), /gave up after 2 attempts/);
    assert.equal(fake.requests.length, 2);
  });

  it("does not retry a 401 and scrubs echoes of the key", async () => {
    const { model } = responsesModel(fake);
    fake.enqueue(openAiError(401, `Incorrect API key provided: ${canaryKey}`));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => {
      assert.ok(error instanceof ModelError && !error.retryable);
      assert.match(error.message, /401 Incorrect API key provided: \[redacted\]/);
      return true;
    });
    assert.equal(fake.requests.length, 1);
  });

  it("fails with a ModelError on an error event inside the stream, after the text before it, without a retry", async () => {
    const { model } = responsesModel(fake);
    fake.reply({ text: ["partial"], errorMidStream: { code: "server_error", message: `upstream overloaded for ${canaryKey}` } });
    const seen: ModelStreamEvent[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: [{ type: "user", text: "hi" }], tools: [], turn: 1, signal: new AbortController().signal })) seen.push(event);
      })(),
      (error) => error instanceof ModelError && /failed mid-stream: upstream overloaded for \[redacted\]/.test(error.message),
    );
    assert.equal(textOf(seen), "partial");
    assert.equal(fake.requests.length, 1, "a call that already streamed is not retried");
  });

  it("retries an error event that came before any output", async () => {
    const { model } = responsesModel(fake);
    fake.reply({ errorMidStream: { code: "rate_limit_exceeded", message: "slow down" } });
    fake.reply({ text: ["second try"] });
    assert.equal(textOf(await collect(model, [{ type: "user", text: "hi" }])), "second try");
    assert.equal(fake.requests.length, 2);
  });

  it("stops promptly when its AbortSignal aborts mid-stream, and the server sees the request go away", async () => {
    const { model } = responsesModel(fake);
    fake.reply({ text: ["first"], hold: true });
    const controller = new AbortController();
    const reason = new Error("cancelled by test");
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: [{ type: "user", text: "hi" }], tools: [], turn: 1, signal: controller.signal })) {
          if (event.type === "text_delta") controller.abort(reason);
        }
      })(),
      (error) => error === reason,
    );
    await fake.clientClosed;
  });
});
