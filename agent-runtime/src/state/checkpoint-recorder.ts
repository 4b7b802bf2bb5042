/**
 * Turn checkpoints at turn boundaries: once a turn's end is recorded (and before the next turn
 * starts) the workspace is captured in the checkpoint store, the checkpoint is noted in the
 * conversation log under the daemon seq of its TurnCheckpoint message, and that message goes
 * to the outbox, the same durable path as events: sent, resent on reconnect, dropped on ack.
 *
 * Recovery after a crash: a checkpoint noted in the log whose message never reached the outbox
 * is written again under its seq, and when the latest ended turn has no checkpoint (the crash
 * came between its end and its checkpoint) one is taken now: no turn has run since, so the
 * workspace still holds that turn's end state.
 */
import { create } from "@bufbuild/protobuf";
import { TurnCheckpointSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { Outbox } from "../channel/outbox.js";
import { describeError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Manifest } from "./checkpoint-manifest.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import type { CheckpointEntry, ConversationLog } from "./conversation-log.js";

/** What recording checkpoints needs. */
export interface CheckpointRecorderOptions {
  readonly store: CheckpointStore;
  readonly conversation: ConversationLog;
  readonly outbox: Outbox;
  /** The workspace to capture (the volume's root). */
  readonly workspace: string;
  readonly log: Logger;
}

function checkpointMessage(entry: CheckpointEntry) {
  return create(TurnCheckpointSchema, {
    turn: entry.turn,
    checkpointId: entry.checkpointId,
    fileCount: BigInt(entry.fileCount),
    totalBytes: BigInt(entry.totalBytes),
    storedBytes: BigInt(entry.storedBytes),
  });
}

async function previousManifest(options: CheckpointRecorderOptions): Promise<Manifest | undefined> {
  const last = options.conversation.lastCheckpoint();
  if (!last) return undefined;
  try {
    return await options.store.readManifest(last.checkpointId);
  } catch (error) {
    // Only costs time: every file is read again.
    options.log.warn({ err: describeError(error), checkpoint: last.checkpointId }, "previous checkpoint unreadable; hashing every file");
    return undefined;
  }
}

/**
 * Records the checkpoint of `turn` if that turn has ended and has none yet; returns it. A
 * workspace that cannot be captured is logged and leaves the turn without a checkpoint; an
 * outbox that cannot be written throws (the daemon cannot go on without its outbox).
 */
export async function checkpointEndedTurn(turn: number, options: CheckpointRecorderOptions): Promise<CheckpointEntry | undefined> {
  const { conversation, log } = options;
  const record = conversation.turns().find((candidate) => candidate.turn === turn);
  if (!record?.ended || conversation.checkpoint(turn)) return conversation.checkpoint(turn);
  const started = performance.now();
  let captured;
  try {
    captured = await options.store.capture(options.workspace, turn, await previousManifest(options));
  } catch (error) {
    log.error({ turn, err: describeError(error) }, "cannot record the turn's checkpoint; remixing at this turn will not be possible");
    return undefined;
  }
  const base = {
    kind: "checkpoint" as const,
    turn,
    checkpointId: captured.id,
    fileCount: captured.fileCount,
    totalBytes: captured.totalBytes,
    storedBytes: captured.storedBytes,
  };
  let entry: CheckpointEntry = { ...base, at: new Date().toISOString() };
  await options.outbox.append({ case: "checkpoint", value: checkpointMessage(entry) }, async (seq) => {
    entry = { ...base, seq: seq.toString(), at: entry.at };
    await conversation.append(entry);
  });
  if (captured.unreadable.length > 0) log.warn({ turn, unreadable: captured.unreadable.slice(0, 20) }, "files the daemon may not read are left out of the checkpoint");
  log.info(
    { turn, checkpoint: captured.id, files: captured.fileCount, filesRead: captured.filesRead, storedBytes: captured.storedBytes, ms: Math.round(performance.now() - started) },
    "turn checkpoint recorded",
  );
  return entry;
}

/** Repairs checkpoints a crash cut short; see the file comment. Runs after turn recovery, before Hello. */
export async function recoverCheckpoints(options: CheckpointRecorderOptions): Promise<void> {
  const { conversation, outbox, log } = options;
  const written = outbox.lastSeq;
  for (const entry of conversation.entries) {
    if (entry.kind !== "checkpoint" || !entry.seq || BigInt(entry.seq) <= written) continue;
    const seq = await outbox.append({ case: "checkpoint", value: checkpointMessage(entry) });
    if (seq !== BigInt(entry.seq)) log.warn({ turn: entry.turn, recorded: entry.seq, written: seq.toString() }, "recorded checkpoint written under another seq");
  }
  const latest = conversation.lastEndedTurn();
  if (latest > 0 && !conversation.checkpoint(latest)) {
    log.warn({ turn: latest }, "the latest ended turn has no checkpoint (a restart came between); recording it now");
    await checkpointEndedTurn(latest, options);
  }
}
