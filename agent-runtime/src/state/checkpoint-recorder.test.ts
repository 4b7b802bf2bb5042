import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Outbox } from "../channel/outbox.js";
import { script, scriptedAgent, silentLogger, step } from "../testing/fixtures.js";
import { openSession, type SessionHarness } from "../testing/session-harness.js";
import { TurnCancelledError } from "../errors.js";
import { checkpointEndedTurn, recoverCheckpoints, type CheckpointRecorderOptions } from "./checkpoint-recorder.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { ConversationLog } from "./conversation-log.js";

describe("turn checkpoints in the conversation log and the outbox", () => {
  const log = silentLogger();
  let session: SessionHarness;

  /** A volume whose turn 1 ended (with a file written) and was never checkpointed: the crash came between. */
  beforeEach(async () => {
    session = await openSession([scriptedAgent("helper", script(["", [step.text("done")]]))]);
    session.loop.start();
    await writeFile(join(session.volume.workspace, "result.txt"), "turn one\n");
    await session.say("one");
    await session.waitFor((event) => event.turn === 1 && event.payload.case === "turnCompleted");
    await session.loop.stop(new TurnCancelledError("Paused"));
  });
  afterEach(() => session.volume.remove());

  /** Opens the volume again as a restarted daemon does. */
  async function reopen(): Promise<CheckpointRecorderOptions & { outbox: Outbox; conversation: ConversationLog }> {
    const conversation = await ConversationLog.open(session.volume.conversationFile);
    const outbox = await Outbox.open(session.volume.outbox, { floor: 0n, log });
    return { store: await CheckpointStore.open(session.volume.checkpoints), conversation, outbox, workspace: session.volume.workspace, log };
  }

  it("gives the latest ended turn its checkpoint on recovery, noted under the seq of its TurnCheckpoint message", async () => {
    const options = await reopen();
    const lastEvent = options.outbox.lastSeq;
    await recoverCheckpoints(options);
    const entry = options.conversation.checkpoint(1);
    assert.ok(entry?.seq, "noted in the log with its seq");
    assert.equal(BigInt(entry.seq), lastEvent + 1n);
    const sent = options.outbox.get(BigInt(entry.seq))?.payload;
    assert.equal(sent?.case, "checkpoint");
    assert.equal(sent.value.turn, 1);
    assert.equal(sent.value.checkpointId, entry.checkpointId);
    assert.equal(sent.value.fileCount, 1n);
    const manifest = await options.store.readManifest(entry.checkpointId);
    assert.deepEqual(manifest.entries.map((e) => e.path), ["result.txt"]);

    // Recovering again changes nothing.
    await recoverCheckpoints(await reopen());
    assert.equal((await reopen()).conversation.entries.filter((e) => e.kind === "checkpoint").length, 1);
  });

  it("writes again a checkpoint noted in the log whose message a crash kept out of the outbox, without capturing again", async () => {
    const options = await reopen();
    const captured = await options.store.capture(options.workspace, 1, undefined);
    const seq = options.outbox.lastSeq + 1n;
    // What a crash between noting the checkpoint and writing its message leaves.
    await options.conversation.append({
      kind: "checkpoint",
      turn: 1,
      checkpointId: captured.id,
      fileCount: captured.fileCount,
      totalBytes: captured.totalBytes,
      storedBytes: captured.storedBytes,
      seq: seq.toString(),
      at: new Date().toISOString(),
    });
    const restarted = await reopen();
    await recoverCheckpoints(restarted);
    const sent = restarted.outbox.get(seq)?.payload;
    assert.equal(sent?.case, "checkpoint");
    assert.equal(sent.value.checkpointId, captured.id);
    assert.equal(restarted.conversation.entries.filter((e) => e.kind === "checkpoint").length, 1);
  });

  it("does not checkpoint a turn that has not ended", async () => {
    const options = await reopen();
    await options.conversation.append({ kind: "user", turn: 2, messageId: "m2", text: "two", targetAgent: "", at: "" });
    assert.equal(await checkpointEndedTurn(2, options), undefined);
    assert.equal(options.conversation.checkpoint(2), undefined);
  });
});
