import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ToolSpecSchema, type Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ToolCallStatus, TurnRoute, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { ToolResultEntry } from "../state/conversation-log.js";
import { script, scriptedAgent, step } from "../testing/fixtures.js";
import { openSession, type SessionHarness } from "../testing/session-harness.js";
import { maxHandoffsPerTurn } from "../tools/handoff.js";

/** `agent` with the built-in tools `names`. */
function withTools(agent: Agent, names: string[]): Agent {
  assert.ok(agent.spec);
  agent.spec.tools = names.map((name) => create(ToolSpecSchema, { name }));
  return agent;
}

const handoff = (toAgent: string, message = ""): ReturnType<typeof step.toolCall> => step.toolCall("handoff", JSON.stringify({ to_agent: toAgent, message }));

/** "agent:kind[:detail]" for each event of `turn`. */
function spoken(events: SessionEvent[], turn: number): string[] {
  return events
    .filter((event) => event.turn === turn)
    .map(({ agent, payload }) => {
      switch (payload.case) {
        case "turnStarted":
          return `${agent}:started:${TurnRoute[payload.value.route]}:${payload.value.matchedPattern}`;
        case "toolCallCompleted":
          return `${agent}:tool:${payload.value.tool}:${ToolCallStatus[payload.value.status]}`;
        case "handoff":
          return `${agent}:handoff:${payload.value.toAgent}:${payload.value.message}`;
        case "textDelta":
          return `${agent}:text:${payload.value.text}`;
        case "turnFailed":
          return `${agent}:failed:${payload.value.reason}`;
        case "turnCompleted":
          return `${agent}:completed`;
        default:
          return `${agent}:${payload.case ?? ""}`;
      }
    });
}

const closed = (turn: number) => (event: SessionEvent) =>
  event.turn === turn && (event.payload.case === "turnCompleted" || event.payload.case === "turnFailed" || event.payload.case === "turnCancelled");

describe("handoff between the agents of a session", () => {
  let session: SessionHarness | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  it("passes the rest of the turn to the receiver, whose name every later event carries, and the next turn continues with it", async () => {
    const triage = withTools(scriptedAgent("triage", script(["", [step.text("Passing you on. "), handoff("support", "order question")]])), ["handoff"]);
    const support = withTools(
      scriptedAgent("support", script(['Handed off by agent "triage": order question', [step.text("Support here.")]], ["", [step.text("Support again.")]]), ["(?i)refund"]),
      ["handoff"],
    );
    session = await openSession([triage, support]);
    session.loop.start();
    await session.say("where is my order?");
    await session.waitFor(closed(1));
    assert.deepEqual(spoken(session.events(), 1), [
      "triage:started:DEFAULT:",
      "triage:text:Passing you on. ",
      "triage:toolCallStarted",
      "triage:tool:handoff:SUCCEEDED",
      "triage:handoff:support:order question",
      "support:text:Support here.",
      "support:completed",
    ]);
    await session.say("thanks");
    await session.waitFor(closed(2));
    assert.deepEqual(spoken(session.events(), 2), ["support:started:CONTINUATION:", "support:text:Support again.", "support:completed"]);
    assert.equal(session.conversation.lastAgent(), "support");
  });

  it("answers a handoff to an unknown agent or to itself with an error the model can repair", async () => {
    const triage = withTools(scriptedAgent("triage", script(["", [handoff("nobody"), handoff("triage"), handoff("support")]])), ["handoff"]);
    const support = scriptedAgent("support", script(["", [step.text("ok")]]));
    session = await openSession([triage, support]);
    session.loop.start();
    await session.say("help");
    await session.waitFor(closed(1));
    assert.deepEqual(spoken(session.events(), 1), [
      "triage:started:DEFAULT:",
      "triage:toolCallStarted",
      "triage:tool:handoff:FAILED",
      "triage:toolCallStarted",
      "triage:tool:handoff:FAILED",
      "triage:toolCallStarted",
      "triage:tool:handoff:SUCCEEDED",
      "triage:handoff:support:",
      "support:text:ok",
      "support:completed",
    ]);
    const outputs = session.conversation.entries.filter((entry): entry is ToolResultEntry => entry.kind === "tool_result").map((entry) => entry.output);
    assert.deepEqual(outputs, ['unknown agent "nobody"; hand off to one of: support', 'you are "triage"; hand off to one of: support', 'handed off to "support"']);
  });

  it("fails a turn that agents keep handing back and forth, with a clear reason", async () => {
    const ping = withTools(scriptedAgent("ping", script(["", [handoff("pong")]])), ["handoff"]);
    const pong = withTools(scriptedAgent("pong", script(["", [handoff("ping")]])), ["handoff"]);
    session = await openSession([ping, pong]);
    session.loop.start();
    await session.say("go");
    const failed = await session.waitFor(closed(1));
    assert.equal(failed.payload.case === "turnFailed" && failed.payload.value.reason, "HandoffLoop");
    assert.match(failed.payload.case === "turnFailed" ? failed.payload.value.message : "", new RegExp(`at most ${maxHandoffsPerTurn} handoffs`));
    const handoffs = session.events().filter((event) => event.payload.case === "handoff");
    assert.deepEqual(handoffs.map((event) => event.agent), ["ping", "pong", "ping", "pong"]);
    // Only the turn failed; the daemon goes on.
    assert.equal(session.fatal.length, 0);
  });

  it("keeps the receiver's tool calls apart from the giver's even when their ids repeat", async () => {
    const triage = withTools(scriptedAgent("triage", script(["", [handoff("support")]])), ["handoff"]);
    const support = withTools(scriptedAgent("support", script(["", [step.toolCall("list_files", "{}"), step.text("listed")]])), ["list_files"]);
    session = await openSession([triage, support]);
    session.loop.start();
    await session.say("list");
    await session.waitFor(closed(1));
    assert.deepEqual(spoken(session.events(), 1).slice(-4), ["support:toolCallStarted", "support:tool:list_files:SUCCEEDED", "support:text:listed", "support:completed"]);
    const results = session.conversation.entries.filter((entry): entry is ToolResultEntry => entry.kind === "tool_result");
    assert.deepEqual(results.map((entry) => [entry.agent, entry.name, entry.callId]), [
      ["triage", "handoff", "scripted-1-0"],
      ["support", "list_files", "scripted-1-0-2"],
    ]);
  });

  it("routes by the receiver's patterns, an explicit target, and says why in TurnStarted", async () => {
    const triage = scriptedAgent("triage", script(["", [step.text("triage")]]));
    const billing = scriptedAgent("billing", script(["", [step.text("billing")]]), ["(unsupported(?=lookahead))", "(?i)\\brefund\\b"]);
    session = await openSession([triage, billing]);
    session.loop.start();
    await session.say("I want a REFUND");
    await session.waitFor(closed(1));
    await session.say("hello", "triage");
    await session.waitFor(closed(2));
    await session.say("hello again");
    await session.waitFor(closed(3));
    await session.say("hi", "ghost");
    await session.waitFor(closed(4));
    assert.deepEqual(spoken(session.events(), 1)[0], "billing:started:PATTERN:(?i)\\brefund\\b");
    assert.deepEqual(spoken(session.events(), 2)[0], "triage:started:TARGET:");
    assert.deepEqual(spoken(session.events(), 3)[0], "triage:started:CONTINUATION:");
    assert.deepEqual(spoken(session.events(), 4), [":started:UNSPECIFIED:", ":failed:AgentNotFound"]);
  });
});
