import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { RestoreCheckpointSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { Outbox } from "../channel/outbox.js";
import { TurnCancelledError } from "../errors.js";
import { checkpointEndedTurn } from "../state/checkpoint-recorder.js";
import { CheckpointStore } from "../state/checkpoint-store.js";
import { ConversationLog } from "../state/conversation-log.js";
import { DaemonStateStore, readDaemonState } from "../state/daemon-state.js";
import { script, scriptedAgent, silentLogger, step, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { openSession } from "../testing/session-harness.js";
import { adoptRemixCopy } from "./adopt-remix.js";

const parentId = "parent-session";
const childId = "child-session";

describe("adopting a remix copy", () => {
  let volume: TempVolume;
  const log = silentLogger();

  /** A parent volume: turns 1 and 2 answered, turn 3 queued, events unacknowledged, parent seqs in the state file. */
  beforeEach(async () => {
    volume = await tempVolume();
    const parent = await openSession([scriptedAgent("helper", script(["", [step.text("reply")]]))], volume);
    parent.loop.start();
    await parent.say("one");
    await parent.say("two");
    await parent.waitFor((event) => event.turn === 2 && event.payload.case === "turnCompleted");
    await parent.loop.stop(new TurnCancelledError("Paused"));
    await parent.conversation.append({ kind: "user", turn: 3, messageId: "m3", text: "three", targetAgent: "", controlSeq: "3", at: "" });
    await new DaemonStateStore(volume.stateFile, {
      sessionId: parentId,
      lastDaemonSeq: parent.outbox.lastSeq,
      lastAckedDaemonSeq: 0n,
      lastAppliedControlSeq: 3n,
      instance: { id: "i", pid: 1, startedAt: "", daemonVersion: "" },
      restoredFrom: undefined,
    }).update({});
  });
  afterEach(() => volume.remove());

  async function adopt(turn: number, checkpointId = ""): Promise<{ conversation: ConversationLog; outbox: Outbox }> {
    const onDisk = await readDaemonState(volume.stateFile);
    assert.ok(onDisk);
    const conversation = await ConversationLog.open(volume.conversationFile);
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log });
    const state = new DaemonStateStore(volume.stateFile, onDisk);
    const restore = turn > 0 ? create(RestoreCheckpointSchema, { parentSessionId: parentId, turn, checkpointId }) : undefined;
    const checkpoints = await CheckpointStore.open(volume.checkpoints);
    await adoptRemixCopy({ sessionId: childId, conversation, outbox, state, checkpoints, workspace: volume.workspace, restore, copiedFrom: onDisk.sessionId, log });
    return { conversation, outbox };
  }

  it("keeps the conversation up to the last ended turn and drops the parent's outbox and seqs", async () => {
    const { conversation, outbox } = await adopt(0);
    assert.deepEqual(conversation.turns().map((record) => [record.turn, record.user.text, record.ended?.text]), [[1, "one", "reply"], [2, "two", "reply"]]);
    assert.ok(conversation.entries.every((entry) => !("seq" in entry) && !("controlSeq" in entry) && !("event" in entry)));
    assert.equal(conversation.lastControlSeq(), 0n);
    assert.deepEqual(await readdir(volume.outbox), []);
    assert.equal(await outbox.append({ case: "event", value: create(SessionEventSchema) }), 1n);
    const state = await readDaemonState(volume.stateFile);
    assert.equal(state?.sessionId, childId);
    assert.equal(state?.lastDaemonSeq, 0n);
    assert.equal(state?.lastAppliedControlSeq, 0n);
    assert.deepEqual(state?.restoredFrom, { parentSessionId: parentId, turn: 2, checkpointId: "" });
  });

  it("restores the turn Welcome names, and the child's next turn follows it", async () => {
    const { conversation } = await adopt(1);
    assert.deepEqual(conversation.turns().map((record) => record.turn), [1]);
    assert.equal(conversation.lastAssignedTurn() + 1, 2);
    assert.deepEqual((await readDaemonState(volume.stateFile))?.restoredFrom, { parentSessionId: parentId, turn: 1, checkpointId: "" });
  });

  it("materialises the restored turn's checkpoint before cutting the conversation back, and keeps that turn's checkpoint note", async () => {
    // Checkpoints of turns 1 and 2 recorded as the turn loop does, with the files changing in between.
    const conversation = await ConversationLog.open(volume.conversationFile);
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log });
    const checkpoints = await CheckpointStore.open(volume.checkpoints);
    const recorder = { store: checkpoints, conversation, outbox, workspace: volume.workspace, log };
    await writeFile(join(volume.workspace, "notes.txt"), "turn one\n");
    const one = await checkpointEndedTurn(1, recorder);
    await writeFile(join(volume.workspace, "notes.txt"), "turn two\n");
    await writeFile(join(volume.workspace, "extra.txt"), "only in turn two\n");
    assert.ok(await checkpointEndedTurn(2, recorder));
    assert.equal(await checkpointEndedTurn(2, recorder), conversation.checkpoint(2), "a turn is checkpointed once");
    assert.ok(one);

    const adopted = await adopt(1, one.checkpointId);
    assert.equal(await readFile(join(volume.workspace, "notes.txt"), "utf8"), "turn one\n");
    assert.deepEqual((await readdir(volume.workspace)).filter((name) => name !== ".raworc"), ["notes.txt"]);
    assert.equal(adopted.conversation.checkpoint(1)?.checkpointId, one.checkpointId, "the child can find the turn's checkpoint by turn");
    assert.equal(adopted.conversation.checkpoint(2), undefined);
    assert.deepEqual((await readDaemonState(volume.stateFile))?.restoredFrom, { parentSessionId: parentId, turn: 1, checkpointId: one.checkpointId });
  });
});
