import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { TextDeltaSchema, ToolCallCompletedSchema, TurnCompletedSchema, TurnStartedSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { silentLogger, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { outboxEventSink, waitsForDurability, type DaemonEventPayload } from "./event-sink.js";
import { Outbox } from "./outbox.js";

const delta = (text: string): DaemonEventPayload => ({ case: "textDelta", value: create(TextDeltaSchema, { text }) });

describe("event sink", () => {
  let volume: TempVolume;
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("waits for durability only at turn boundaries and tool results", () => {
    assert.equal(waitsForDurability({ case: "turnStarted", value: create(TurnStartedSchema) }), true);
    assert.equal(waitsForDurability({ case: "turnCompleted", value: create(TurnCompletedSchema) }), true);
    assert.equal(waitsForDurability({ case: "toolCallCompleted", value: create(ToolCallCompletedSchema) }), true);
    assert.equal(waitsForDurability(delta("x")), false);
  });

  it("returns a text delta once staged, and a boundary only once it and every delta before it are durable", async () => {
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log: silentLogger() });
    const sink = outboxEventSink(outbox);
    assert.equal(await sink.emit({ agent: "a", turn: 1, payload: { case: "turnStarted", value: create(TurnStartedSchema, { messageId: "m" }) } }), 1n);
    assert.equal(outbox.lastSeq, 1n);
    assert.equal(await sink.emit({ agent: "a", turn: 1, payload: delta("Hel") }), 2n);
    assert.equal(await sink.emit({ agent: "a", turn: 1, payload: delta("lo") }), 3n);
    assert.ok(outbox.lastSeq < 3n, "a delta does not wait for its write");
    let durableWhenRecorded = 0n;
    const closing = await sink.emit({ agent: "a", turn: 1, payload: { case: "turnCompleted", value: create(TurnCompletedSchema) } }, () => {
      durableWhenRecorded = outbox.lastSeq;
      return Promise.resolve();
    });
    assert.equal(closing, 4n);
    assert.equal(durableWhenRecorded, 3n, "the log record runs once every earlier delta is durable");
    assert.equal(outbox.lastSeq, 4n);
  });

  it("a delta whose group commit failed surfaces at the next emit, and numbering resumes after the last durable seq", async () => {
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log: silentLogger() });
    const sink = outboxEventSink(outbox);
    await volume.remove();
    assert.equal(await sink.emit({ agent: "a", turn: 1, payload: delta("lost") }), 1n);
    await outbox.changed();
    await assert.rejects(sink.emit({ agent: "a", turn: 1, payload: delta("next") }));
    assert.equal(outbox.lastSeq, 0n);
  });
});
