import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ModelProvider, ModelSpecSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { anthropicError, startFakeAnthropic, type FakeAnthropic } from "@raworc/test-support/fake-llm/index.js";
import { ModelError } from "../errors.js";
import { createLogger } from "../logger.js";
import { createModelFactory } from "./create-model.js";
import { canaryKey, collect, testModel, textOf } from "./provider-test-kit.js";

describe("Anthropic adapter (Messages) against a fake Anthropic server", () => {
  let fake: FakeAnthropic;
  beforeEach(async () => (fake = await startFakeAnthropic()));
  afterEach(() => fake.close());

  it("streams a text reply, reports usage, and sends the secret's key", async () => {
    const { model, logs } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
    fake.reply({ text: ["Hel", "lo"], usage: { input: 20, output: 4, cacheRead: 5 } });
    const events = await collect(model, [{ type: "user", text: "hi" }]);
    assert.equal(textOf(events), "Hello");
    assert.deepEqual(events.at(-2), { type: "usage", usage: { inputTokens: 25, outputTokens: 4, cachedInputTokens: 5 } });
    assert.deepEqual(events.at(-1), { type: "done", stopReason: "end_turn" });
    const request = fake.requests[0]!;
    // SDK 1.12 sends the key as a bearer token (older versions used x-api-key).
    assert.equal(request.headers.authorization ?? request.headers["x-api-key"], `Bearer ${canaryKey}`);
    assert.equal(request.body.system, "Be brief.");
    assert.equal(request.body.max_tokens, 8192);
    assert.deepEqual(request.body.messages, [{ role: "user", content: [{ type: "text", text: "hi" }] }]);
    assert.deepEqual((request.body.tools as { name: string }[]).map((tool) => tool.name), ["shell"]);
    assert.ok(!logs.join("").includes(canaryKey));
  });

  it("assembles parallel tool_use blocks from input_json_delta pieces, and sends results back in one user message", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
    fake.reply({
      text: ["Checking."],
      toolUses: [
        { id: "toolu_a", name: "shell", jsonPieces: ['{"comm', 'and": "ls"', "}"] },
        { id: "toolu_b", name: "shell", jsonPieces: [] },
      ],
      usage: { input: 3, output: 7 },
    });
    const events = await collect(model, [{ type: "user", text: "look" }]);
    assert.deepEqual(
      events.filter((event) => event.type === "tool_call"),
      [
        { type: "tool_call", callId: "toolu_a", name: "shell", argumentsJson: '{"command": "ls"}' },
        { type: "tool_call", callId: "toolu_b", name: "shell", argumentsJson: "{}" },
      ],
    );
    assert.deepEqual(events.at(-1), { type: "done", stopReason: "tool_use" });

    fake.reply({ text: ["Done."] });
    await collect(model, [
      { type: "user", text: "look" },
      { type: "assistant", text: "Checking." },
      { type: "tool_call", callId: "toolu_a", name: "shell", argumentsJson: '{"command":"ls"}' },
      { type: "tool_result", callId: "toolu_a", output: "a.txt", isError: false },
      { type: "tool_call", callId: "toolu_b", name: "shell", argumentsJson: "{}" },
      { type: "tool_result", callId: "toolu_b", output: "denied", isError: true },
    ]);
    assert.deepEqual(fake.requests[1]!.body.messages, [
      { role: "user", content: [{ type: "text", text: "look" }] },
      {
        role: "assistant",
        content: [
          { type: "text", text: "Checking." },
          { type: "tool_use", id: "toolu_a", name: "shell", input: { command: "ls" } },
          { type: "tool_use", id: "toolu_b", name: "shell", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_a", content: "a.txt" },
          { type: "tool_result", tool_use_id: "toolu_b", content: "denied", is_error: true },
        ],
      },
    ]);
  });

  it("retries a 429 and a 529 honouring retry-after, then succeeds", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
    fake.enqueue(anthropicError(429, "Number of request tokens has exceeded your rate limit", { "retry-after": "0" }), anthropicError(529, "Overloaded"));
    fake.reply({ text: ["ok"] });
    assert.equal(textOf(await collect(model, [{ type: "user", text: "hi" }])), "ok");
    assert.equal(fake.requests.length, 3);
  });

  it("refuses a retry-after longer than the policy allows, at once", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
    fake.enqueue(anthropicError(429, "slow down", { "retry-after": "3600" }));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => error instanceof ModelError && /retry after 3600 s/.test(error.message));
    assert.equal(fake.requests.length, 1);
  });

  it("ends a 500 storm with a clear ModelError after the allowed attempts", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL, 2);
    for (let index = 0; index < 5; index++) fake.enqueue(anthropicError(500, "Internal server error"));
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => {
      assert.ok(error instanceof ModelError);
      assert.match(error.message, /Anthropic answered HTTP 500 .*Internal server error.*gave up after 3 attempts/);
      return true;
    });
    assert.equal(fake.requests.length, 3);
  });

  it("fails with a ModelError on an error event inside the stream", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
    fake.reply({ text: ["partial"], errorMidStream: { type: "overloaded_error", message: "Overloaded" } });
    await assert.rejects(collect(model, [{ type: "user", text: "hi" }]), (error) => error instanceof ModelError && /Overloaded/.test(error.message));
    assert.equal(fake.requests.length, 1);
  });

  it("stops promptly when its AbortSignal aborts mid-stream, with the signal's reason", async () => {
    const { model } = testModel(ModelProvider.ANTHROPIC, fake.baseURL);
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

  it("fails the call with a ModelError when the named secret is missing", () => {
    const factory = createModelFactory({ log: createLogger("silent", {}), secret: () => undefined });
    const spec = create(ModelSpecSchema, { provider: ModelProvider.ANTHROPIC, name: "m", baseUrl: fake.baseURL, apiKey: { secret: "other", key: "k" } });
    assert.throws(() => factory(spec), (error) => error instanceof ModelError && /API key secret "other"/.test(error.message));
  });
});
