import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { PrincipalSchema } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { ToolCallStatus, TurnRoute, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { TurnCancelledError } from "../errors.js";
import { script, scriptedAgent, step } from "../testing/fixtures.js";
import { openSession, type SessionHarness } from "../testing/session-harness.js";

/** A compact view of events: "turn:kind[:detail]". */
function view(events: SessionEvent[]): string[] {
  return events.map((event) => {
    const { payload } = event;
    switch (payload.case) {
      case "textDelta":
        return `${event.turn}:text:${payload.value.text}`;
      case "turnFailed":
        return `${event.turn}:failed:${payload.value.reason}`;
      case "turnCancelled":
        return `${event.turn}:cancelled:${payload.value.reason}`;
      case "toolCallCompleted":
        return `${event.turn}:tool:${payload.value.tool}:${ToolCallStatus[payload.value.status]}`;
      default:
        return `${event.turn}:${payload.case}`;
    }
  });
}

const ended = (turn: number) => (event: SessionEvent) =>
  event.turn === turn && (event.payload.case === "turnCompleted" || event.payload.case === "turnFailed" || event.payload.case === "turnCancelled");

describe("turn loop", () => {
  let session: SessionHarness;
  afterEach(() => session.close());

  it("turns a message into TurnStarted, streamed TextDeltas and TurnCompleted, and logs the reply", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.usage(10, 5), step.text("Hello"), step.text(" there")]]))]);
    session.loop.start();
    const turn = await session.say("hi");
    assert.equal(turn, 1);
    const completed = await session.waitFor(ended(1));
    assert.deepEqual(view(session.events()), ["1:turnStarted", "1:text:Hello", "1:text: there", "1:usage", "1:turnCompleted"]);
    const [started] = session.events();
    assert.equal(started?.agent, "helper");
    assert.equal(started?.payload.case === "turnStarted" && started.payload.value.route, TurnRoute.DEFAULT);
    assert.equal(started?.payload.case === "turnStarted" && started.payload.value.messageId, "message-1-1");
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.usage?.outputTokens, 5n);
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.stopReason, "end_turn");
    const record = session.conversation.turns()[0];
    assert.equal(record?.ended?.text, "Hello there");
    assert.equal(record?.ended?.outcome, "completed");
    assert.equal(session.loop.activeTurn, 0);
  });

  it("runs turns one at a time in order, continuing the numbering from the log", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("one"), step.delay(100), step.text(".")]], ["", [step.text("two")]]))]);
    await session.say("first");
    await session.say("second");
    session.loop.start();
    await session.say("third");
    await session.waitFor(ended(3));
    assert.deepEqual(view(session.events()), [
      "1:turnStarted", "1:text:one", "1:text:.", "1:turnCompleted",
      "2:turnStarted", "2:text:two", "2:turnCompleted",
      "3:turnStarted", "3:text:one", "3:text:.", "3:turnCompleted",
    ]);
  });

  it("fails a turn whose model fails, keeping the partial reply, and goes on with the next", async () => {
    session = await openSession([scriptedAgent("helper", script(["boom", [step.text("partial"), step.error("upstream 503")]], ["", [step.text("fine")]]))]);
    session.loop.start();
    await session.say("boom please");
    await session.say("and now?");
    const failed = await session.waitFor((event) => event.payload.case === "turnFailed");
    assert.equal(failed.payload.case === "turnFailed" && failed.payload.value.message, "upstream 503");
    await session.waitFor(ended(2));
    assert.deepEqual(view(session.events()), ["1:turnStarted", "1:text:partial", "1:failed:ModelError", "2:turnStarted", "2:text:fine", "2:turnCompleted"]);
    assert.equal(session.conversation.turns()[0]?.ended?.text, "partial");
  });

  it("cancels the running turn on CancelTurn, naming who asked; a cancel for another turn is ignored", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("thinking"), step.delay(60_000), step.text("never")]]))]);
    session.loop.start();
    await session.say("long job");
    await session.waitFor((event) => event.payload.case === "textDelta");
    assert.equal(session.loop.activeTurn, 1);
    assert.equal(session.loop.cancel(2, new TurnCancelledError("Cancelled")), false);
    const alice = create(PrincipalSchema, { name: "alice" });
    assert.equal(session.loop.cancel(0, new TurnCancelledError("Cancelled", alice)), true);
    const cancelled = await session.waitFor(ended(1), 2000);
    assert.equal(cancelled.payload.case === "turnCancelled" && cancelled.payload.value.cancelledBy?.name, "alice");
    assert.deepEqual(view(session.events()), ["1:turnStarted", "1:text:thinking", "1:cancelled:Cancelled"]);
    assert.equal(session.conversation.turns()[0]?.ended?.outcome, "cancelled");
  });

  it("stops: the running turn is cancelled as Paused and queued messages wait for the next start", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("working"), step.delay(60_000)]]))]);
    session.loop.start();
    await session.say("one");
    await session.say("two");
    await session.waitFor((event) => event.payload.case === "textDelta");
    await session.loop.stop(new TurnCancelledError("Paused"));
    assert.deepEqual(view(session.events()), ["1:turnStarted", "1:text:working", "1:cancelled:Paused"]);
    assert.deepEqual(session.conversation.turns().map((record) => record.ended?.outcome), ["cancelled", undefined]);
  });

  it("answers a call of a tool the agent does not enable with FAILED and lets the script continue", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("checking"), step.toolCall("shell", '{"command":"ls"}'), step.text("no tools here")]]))]);
    session.loop.start();
    await session.say("list files");
    const completed = await session.waitFor(ended(1));
    assert.deepEqual(view(session.events()), ["1:turnStarted", "1:text:checking", "1:toolCallStarted", "1:tool:shell:FAILED", "1:text:no tools here", "1:turnCompleted"]);
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.modelCalls, 2);
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.toolCalls, 1);
  });

  it("fails a turn addressed to an agent the session does not have", async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("hi")]]))]);
    session.loop.start();
    await session.say("hello", "ghost");
    const failed = await session.waitFor(ended(1));
    assert.equal(failed.payload.case === "turnFailed" && failed.payload.value.reason, "AgentNotFound");
  });
});
