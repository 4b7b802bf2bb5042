import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { SessionEventSchema, TextDeltaSchema, TurnCompletedSchema, TurnStartedSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { outboxEventSink, sessionEvent, type EventSink } from "../channel/event-sink.js";
import { Outbox } from "../channel/outbox.js";
import { TurnCancelledError } from "../errors.js";
import { ConversationLog } from "../state/conversation-log.js";
import { volumeLayout } from "../state/layout.js";
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

  /** Starts turn 1 as the turn runner does: the user message, then TurnStarted recorded in the log and written. */
  async function startTurn(): Promise<{ conversation: ConversationLog; outbox: Outbox; sink: EventSink }> {
    const { conversation, outbox } = await reopen();
    const sink = outboxEventSink(outbox);
    await conversation.append({ kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", controlSeq: "1", at });
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "turnStarted", value: create(TurnStartedSchema, { messageId: "m1" }) } }, (seq) =>
      conversation.append({ kind: "started", turn: 1, agent: "helper", seq: seq.toString(), at }),
    );
    return { conversation, outbox, sink };
  }

  const emitDelta = (sink: EventSink, text: string): Promise<bigint> => sink.emit({ agent: "helper", turn: 1, payload: { case: "textDelta", value: create(TextDeltaSchema, { text }) } });

  /** Writes what a daemon killed mid-reply leaves: a started turn with one delta durable (its group commit ran). */
  async function crashMidReply(): Promise<void> {
    const { outbox, sink } = await startTurn();
    await emitDelta(sink, "Hel");
    await outbox.flush();
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

  it("a crash before a group commit loses only the staged tail of the reply: the turn still ends TurnFailed (Interrupted) and the log stays consistent", async () => {
    const { outbox, sink } = await startTurn();
    // TurnStarted returned durable: a boundary waits for its write.
    assert.equal(outbox.lastSeq, 1n);
    await emitDelta(sink, "Hel");
    await outbox.flush();
    assert.equal(await emitDelta(sink, "lo"), 3n);
    // A delta returns once staged: kill -9 now, and the disk holds what a crash leaves.
    const crashed = await mkdtemp(join(tmpdir(), "raworc-crashed-volume-"));
    try {
      cpSync(volume.workspace, crashed, { recursive: true });
      const layout = volumeLayout(crashed);
      const conversation = await ConversationLog.open(layout.conversationFile);
      const reopened = await Outbox.open(layout.outbox, { floor: 0n, log });
      assert.equal(reopened.lastSeq, 2n, "the staged delta was never durable, so it was never sent either");
      assert.deepEqual(await recoverTurns(conversation, reopened, outboxEventSink(reopened), log), { rewrittenEnds: [], interrupted: [1] });
      const kinds = [1n, 2n, 3n].map((seq) => {
        const payload = reopened.get(seq)?.payload;
        return payload?.case === "event" ? payload.value.payload.case : undefined;
      });
      assert.deepEqual(kinds, ["turnStarted", "textDelta", "turnFailed"], "the lost delta's seq is reused: the sent sequence has no gap");
      const record = conversation.turns()[0];
      assert.equal(record?.started?.seq, "1");
      assert.equal(record?.ended?.outcome, "failed");
      assert.equal(record?.ended?.reason, interruptedReason);
      assert.equal(record?.ended?.seq, "3");
    } finally {
      await rm(crashed, { recursive: true, force: true });
    }
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
