import assert from "node:assert/strict";
import { ModelError } from "../errors.js";
import { script, step } from "../testing/fixtures.js";
import type { Model, ModelInputItem, ModelStreamEvent } from "./model.js";
import { createScriptedModel } from "./scripted-model.js";

async function collect(model: Model, input: ModelInputItem[], turn = 1, signal = new AbortController().signal): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const event of model.stream({ instructions: "", input, tools: [], turn, signal })) events.push(event);
  return events;
}

const texts = (events: ModelStreamEvent[]): string[] => events.flatMap((event) => (event.type === "text_delta" ? [event.text] : []));
const ask = (text: string): ModelInputItem[] => [{ type: "user", text }];

describe("scripted model", () => {
  it("streams each text step as one chunk, in order, then done", async () => {
    const model = createScriptedModel(script(["", [step.text("Hello"), step.text(", "), step.text("world")]]));
    const events = await collect(model, ask("hi"));
    assert.deepEqual(texts(events), ["Hello", ", ", "world"]);
    assert.deepEqual(events.at(-1), { type: "done", stopReason: "end_turn" });
    assert.equal(model.name, "scripted");
  });

  it("plays the first turn whose RE2 pattern matches anywhere in the message", async () => {
    const model = createScriptedModel(
      script(["(?i)weather", [step.text("sunny")]], ["^\\d+$", [step.text("a number")]], ["", [step.text("default")]]),
    );
    assert.deepEqual(texts(await collect(model, ask("What's the WEATHER like?"))), ["sunny"]);
    assert.deepEqual(texts(await collect(model, ask("12345"))), ["a number"]);
    assert.deepEqual(texts(await collect(model, ask("12a45"))), ["default"]);
  });

  it("cycles unconditional turns by session turn number: turn n plays (n - 1) mod count", async () => {
    const model = createScriptedModel(script(["", [step.text("first")]], ["never", [step.text("x")]], ["", [step.text("second")]]));
    const byTurn = [];
    for (let turn = 1; turn <= 5; turn++) byTurn.push(texts(await collect(model, ask("hi"), turn)).join(""));
    assert.deepEqual(byTurn, ["first", "second", "first", "second", "first"]);
  });

  it("replies with nothing when no turn plays", async () => {
    const model = createScriptedModel(script(["only this", [step.text("x")]]));
    assert.deepEqual(await collect(model, ask("something else")), [{ type: "done", stopReason: "end_turn" }]);
  });

  it("waits for delay steps between chunks", async () => {
    const model = createScriptedModel(script(["", [step.text("a"), step.delay(150), step.text("b")]]));
    const stamps: number[] = [];
    const started = Date.now();
    for await (const event of model.stream({ instructions: "", input: ask("hi"), tools: [], turn: 1, signal: new AbortController().signal })) {
      if (event.type === "text_delta") stamps.push(Date.now() - started);
    }
    assert.ok(stamps[0]! < 100, `first chunk at ${stamps[0]} ms`);
    assert.ok(stamps[1]! >= 140, `second chunk at ${stamps[1]} ms`);
  });

  it("fails the call with a ModelError at an error step, after the chunks before it", async () => {
    const model = createScriptedModel(script(["", [step.text("partial"), step.error("provider overloaded"), step.text("never")]]));
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: ask("hi"), tools: [], turn: 1, signal: new AbortController().signal })) {
          if (event.type === "text_delta") seen.push(event.text);
        }
      })(),
      (error) => error instanceof ModelError && error.message === "provider overloaded",
    );
    assert.deepEqual(seen, ["partial"]);
  });

  it("stops promptly when its AbortSignal aborts during a delay, with the signal's reason", async () => {
    const model = createScriptedModel(script(["", [step.text("a"), step.delay(60_000), step.text("b")]]));
    const controller = new AbortController();
    const reason = new Error("cancelled by test");
    const seen: string[] = [];
    const started = Date.now();
    await assert.rejects(
      (async () => {
        for await (const event of model.stream({ instructions: "", input: ask("hi"), tools: [], turn: 1, signal: controller.signal })) {
          if (event.type === "text_delta") {
            seen.push(event.text);
            setTimeout(() => controller.abort(reason), 20);
          }
        }
      })(),
      (error) => error === reason,
    );
    assert.deepEqual(seen, ["a"]);
    assert.ok(Date.now() - started < 1000);
  });

  it("reports usage steps", async () => {
    const model = createScriptedModel(script(["", [step.usage(12, 34), step.text("ok")]]));
    const events = await collect(model, ask("hi"));
    assert.deepEqual(events[0], { type: "usage", usage: { inputTokens: 12, outputTokens: 34, cachedInputTokens: 0 } });
  });

  it("ends a call after a run of tool calls and continues after them on the next call", async () => {
    const model = createScriptedModel(
      script(["", [step.text("let me look"), step.toolCall("shell", '{"command":"ls"}'), step.toolCall("read_file"), step.text("done"), step.toolCall("shell"), step.text("bye")]]),
    );
    const first = await collect(model, ask("hi"), 4);
    assert.deepEqual(texts(first), ["let me look"]);
    const calls = first.filter((event) => event.type === "tool_call");
    assert.deepEqual(calls.map((call) => [call.name, call.argumentsJson, call.callId]), [
      ["shell", '{"command":"ls"}', "scripted-4-1"],
      ["read_file", "{}", "scripted-4-2"],
    ]);
    assert.deepEqual(first.at(-1), { type: "done", stopReason: "tool_use" });

    const afterTwo: ModelInputItem[] = [
      ...ask("hi"),
      { type: "assistant", text: "let me look" },
      { type: "tool_call", callId: "scripted-4-1", name: "shell", argumentsJson: "{}" },
      { type: "tool_result", callId: "scripted-4-1", output: "", isError: true },
      { type: "tool_call", callId: "scripted-4-2", name: "read_file", argumentsJson: "{}" },
      { type: "tool_result", callId: "scripted-4-2", output: "", isError: true },
    ];
    const second = await collect(model, afterTwo, 4);
    assert.deepEqual(texts(second), ["done"]);
    assert.equal(second.filter((event) => event.type === "tool_call").length, 1);

    const third = await collect(model, [...afterTwo, { type: "tool_call", callId: "scripted-4-4", name: "shell", argumentsJson: "{}" }], 4);
    assert.deepEqual(texts(third), ["bye"]);
    assert.deepEqual(third.at(-1), { type: "done", stopReason: "end_turn" });
  });
});
