import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { SessionEventSchema, TextDeltaSchema, TurnCompletedSchema, TurnStartedSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { outboxEventSink, sessionEvent } from "../channel/event-sink.js";
import { Outbox } from "../channel/outbox.js";
import { TurnCancelledError } from "../errors.js";
import { ConversationLog } from "../state/conversation-log.js";
import { script, scriptedAgent, silentLogger, step, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { openSession } from "../testing/session-harness.js";
import { interruptedReason, recoverTurns } from "./recovery.js";

const at = "2026-01-01T00:00:00.000Z";

describe("crash recovery", () => {
  let volume: TempVolume;
  const log = silentLogger();
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  /** Opens the volume as a restarted daemon does; `floor` is the state file's last daemon seq. */
  async function reopen(floor = 0n): Promise<{ conversation: ConversationLog; outbox: Outbox }> {
    return { conversation: await ConversationLog.open(volume.conversationFile), outbox: await Outbox.open(volume.outbox, { floor, log }) };
  }

  /** Writes what a daemon killed mid-reply leaves: a started turn with one delta sent. */
  async function crashMidReply(): Promise<void> {
    const { conversation, outbox } = await reopen();
    const sink = outboxEventSink(outbox);
    await conversation.append({ kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", controlSeq: "1", at });
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "turnStarted", value: create(TurnStartedSchema, { messageId: "m1" }) } }, (seq) =>
      conversation.append({ kind: "started", turn: 1, agent: "helper", seq: seq.toString(), at }),
    );
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "textDelta", value: create(TextDeltaSchema, { text: "Hel" }) } });
  }

  it("closes a turn a crash cut short with TurnFailed (Interrupted), once", async () => {
    await crashMidReply();
    const { conversation, outbox } = await reopen();
    const report = await recoverTurns(conversation, outbox, outboxEventSink(outbox), log);
    assert.deepEqual(report, { rewrittenEnds: [], interrupted: [1] });
    const closing = outbox.get(3n)?.payload;
    assert.equal(closing?.case === "event" && closing.value.payload.case, "turnFailed");
    assert.equal(closing?.case === "event" && closing.value.payload.case === "turnFailed" && closing.value.payload.value.reason, interruptedReason);
    assert.equal(closing?.case === "event" && closing.value.agent, "helper");
    assert.equal(conversation.turns()[0]?.ended?.outcome, "failed");

    const again = await reopen();
    assert.deepEqual(await recoverTurns(again.conversation, again.outbox, outboxEventSink(again.outbox), log), { rewrittenEnds: [], interrupted: [] });
    assert.equal(again.outbox.lastSeq, 3n);
  });

  it("counts a turn as begun when its TurnStarted was acknowledged and deleted (the state file's seq says so)", async () => {
    await crashMidReply();
    const first = await reopen();
    await first.outbox.acknowledge(2n);
    const { conversation, outbox } = await reopen(2n);
    assert.equal(outbox.size, 0);
    assert.deepEqual((await recoverTurns(conversation, outbox, outboxEventSink(outbox), log)).interrupted, [1]);
    assert.equal(outbox.lastSeq, 3n);
  });

  it("writes a closing event that was recorded in the log but never reached the outbox, under its recorded seq", async () => {
    await crashMidReply();
    const before = await reopen();
    const event = sessionEvent({ agent: "helper", turn: 1, payload: { case: "turnCompleted", value: create(TurnCompletedSchema, { stopReason: "end_turn" }) } });
    // The crash came after the log entry and before the outbox write.
    await before.conversation.append({
      kind: "ended",
      turn: 1,
      agent: "helper",
      outcome: "completed",
      text: "Hel",
      seq: "3",
      event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
      at,
    });
    const { conversation, outbox } = await reopen();
    assert.deepEqual(await recoverTurns(conversation, outbox, outboxEventSink(outbox), log), { rewrittenEnds: [1], interrupted: [] });
    const written = outbox.get(3n)?.payload;
    assert.equal(written?.case === "event" && written.value.payload.case, "turnCompleted");
    assert.deepEqual(written?.case === "event" && written.value.time, event.time);
    assert.equal(outbox.lastSeq, 3n);
  });

  it("runs a turn whose start was recorded but whose TurnStarted never got written, as if it had not begun", async () => {
    const { conversation } = await reopen();
    await conversation.append({ kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", at });
    await conversation.append({ kind: "started", turn: 1, agent: "helper", seq: "1", at });
    const reopened = await reopen();
    assert.deepEqual(await recoverTurns(reopened.conversation, reopened.outbox, outboxEventSink(reopened.outbox), log), { rewrittenEnds: [], interrupted: [] });

    const session = await openSession([scriptedAgent("helper", script(["", [step.text("hello")]]))], volume);
    session.loop.start();
    await session.waitFor((event) => event.payload.case === "turnCompleted");
    assert.deepEqual(session.events().map((event) => event.payload.case), ["turnStarted", "textDelta", "turnCompleted"]);
    await session.loop.stop(new TurnCancelledError("Paused"));
  });
});
