import assert from "node:assert/strict";
import { toAnthropicMessages } from "../models/anthropic-format.js";
import { toChatMessages } from "../models/openai-chat-format.js";
import { toResponsesInput } from "../models/openai-responses-format.js";
import type { ConversationEntry } from "../state/conversation-log.js";
import { conversationHistory, unansweredToolOutput } from "./conversation-history.js";

const at = "2026-01-01T00:00:00.000Z";
const user = (turn: number, text: string): ConversationEntry => ({ kind: "user", turn, messageId: `m${turn}`, text, targetAgent: "", at });
const started = (turn: number): ConversationEntry => ({ kind: "started", turn, agent: "helper", at });
const call = (turn: number, callId: string, command: string): ConversationEntry => ({
  kind: "tool_call",
  turn,
  agent: "helper",
  callId,
  name: "shell",
  argumentsJson: JSON.stringify({ command }),
  at,
});
const result = (turn: number, callId: string, output: string, outcome: "succeeded" | "failed" = "succeeded"): ConversationEntry => ({
  kind: "tool_result",
  turn,
  agent: "helper",
  callId,
  name: "shell",
  outcome,
  output,
  truncated: false,
  durationMs: 1,
  at,
});
const ended = (turn: number, text: string, outcome: "completed" | "failed" | "cancelled" = "completed"): ConversationEntry => ({ kind: "ended", turn, agent: "helper", outcome, text, at });

/** Turn 1: two parallel calls (one failing), then a reply; turn 2: cancelled during a call; turn 3 is the one to run. */
const log: ConversationEntry[] = [
  user(1, "list and print"),
  started(1),
  call(1, "call_a", "ls"),
  result(1, "call_a", "a.txt\n"),
  call(1, "call_b", "cat missing"),
  result(1, "call_b", "no such file", "failed"),
  ended(1, "One file; the other is missing."),
  user(2, "sleep"),
  started(2),
  call(2, "call_c", "sleep 30"),
  ended(2, "", "cancelled"),
  user(3, "what did you find?"),
  started(3),
  call(3, "call_d", "ls"),
];

describe("conversationHistory", () => {
  it("gives back earlier turns' messages, tool calls each followed by its result, and replies, in order", () => {
    assert.deepEqual(conversationHistory(log, 3), [
      { type: "user", text: "list and print" },
      { type: "tool_call", callId: "call_a", name: "shell", argumentsJson: '{"command":"ls"}' },
      { type: "tool_result", callId: "call_a", output: "a.txt\n", isError: false },
      { type: "tool_call", callId: "call_b", name: "shell", argumentsJson: '{"command":"cat missing"}' },
      { type: "tool_result", callId: "call_b", output: "no such file", isError: true },
      { type: "assistant", text: "One file; the other is missing." },
      { type: "user", text: "sleep" },
      { type: "tool_call", callId: "call_c", name: "shell", argumentsJson: '{"command":"sleep 30"}' },
      { type: "tool_result", callId: "call_c", output: unansweredToolOutput("cancelled"), isError: true },
    ]);
  });

  it("leaves out the turn being run, later turns, and turns that have not ended", () => {
    assert.deepEqual(conversationHistory(log, 1), []);
    assert.deepEqual(conversationHistory([user(1, "a"), started(1), user(2, "b")], 3), []);
    assert.equal(conversationHistory(log, 2).length, 6);
  });

  it("counts a call recorded twice under one call id once", () => {
    const twice = [user(1, "x"), call(1, "c1", "ls"), call(1, "c1", "ls"), result(1, "c1", "out"), ended(1, "ok")];
    assert.deepEqual(
      conversationHistory(twice, 2).map((item) => item.type),
      ["user", "tool_call", "tool_result", "assistant"],
    );
  });

  it("renders for OpenAI Chat Completions with tool messages right after the assistant message that holds their calls", () => {
    const messages = toChatMessages("sys", [...conversationHistory(log, 3), { type: "user", text: "what did you find?" }]);
    assert.deepEqual(
      messages.map((message) => [message.role, "tool_calls" in message ? message.tool_calls?.map((c) => c.id) : "tool_call_id" in message ? message.tool_call_id : undefined]),
      [
        ["system", undefined],
        ["user", undefined],
        ["assistant", ["call_a", "call_b"]],
        ["tool", "call_a"],
        ["tool", "call_b"],
        ["assistant", undefined],
        ["user", undefined],
        ["assistant", ["call_c"]],
        ["tool", "call_c"],
        ["user", undefined],
      ],
    );
  });

  it("renders for Anthropic with every tool_use answered by a tool_result in the next user message, roles alternating", () => {
    const messages = toAnthropicMessages([...conversationHistory(log, 3), { type: "user", text: "what did you find?" }]);
    const shape = messages.map((message) => [
      message.role,
      (message.content as { type: string; id?: string; tool_use_id?: string }[]).map((block) => `${block.type}${block.id ? `:${block.id}` : block.tool_use_id ? `:${block.tool_use_id}` : ""}`),
    ]);
    assert.deepEqual(shape, [
      ["user", ["text"]],
      ["assistant", ["tool_use:call_a", "tool_use:call_b"]],
      ["user", ["tool_result:call_a", "tool_result:call_b"]],
      ["assistant", ["text"]],
      ["user", ["text"]],
      ["assistant", ["tool_use:call_c"]],
      ["user", ["tool_result:call_c", "text"]],
    ]);
  });

  it("renders for the Responses API as function_call and function_call_output items in order", () => {
    const input = toResponsesInput(conversationHistory(log, 3));
    assert.deepEqual(
      input.map((item) => ("type" in item ? item.type : "")),
      ["message", "function_call", "function_call_output", "function_call", "function_call_output", "message", "message", "function_call", "function_call_output"],
    );
  });
});
