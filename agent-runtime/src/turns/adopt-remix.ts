/**
 * Adopting a remix copy. A remixed session's volume starts as a copy of its parent's, `.raworc/`
 * included: the parent's conversation, but also the parent's outbox and sequence numbers, which
 * mean nothing in the new session. On the first Welcome the daemon materialises the workspace
 * of the restored turn (Welcome.restore.turn, else the last ended turn) from that turn's
 * checkpoint (Welcome.restore.checkpoint_id, else the one the log notes for the turn), cuts the
 * conversation back to that turn, drops unfinished turns, the outbox and the parent's seqs, and
 * only then records in the state file that it has restored, so a crash midway repeats the
 * (idempotent) steps and a repeated Welcome afterwards is harmless. The files come first: a
 * conversation cut back while the files still hold a later turn would be a fork that lies.
 */
import type { RestoreCheckpoint } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { Outbox } from "../channel/outbox.js";
import type { Logger } from "../logger.js";
import { materialiseCheckpoint } from "../state/checkpoint-restore.js";
import type { CheckpointStore } from "../state/checkpoint-store.js";
import type { ConversationEntry, ConversationLog } from "../state/conversation-log.js";
import type { DaemonStateStore, RestoredFrom } from "../state/daemon-state.js";

/** What the adoption needs. */
export interface AdoptionInput {
  readonly sessionId: string;
  readonly conversation: ConversationLog;
  readonly outbox: Outbox;
  readonly state: DaemonStateStore;
  /** The copied volume's checkpoint store and its workspace, to materialise the restored turn's files. */
  readonly checkpoints: CheckpointStore;
  readonly workspace: string;
  /** Welcome.restore, when the control plane names the turn to start from. */
  readonly restore: RestoreCheckpoint | undefined;
  /** The session whose state the copy holds (from the copied state file), when known. */
  readonly copiedFrom: string | undefined;
  readonly log: Logger;
}

/** The conversation a remix keeps: turns up to `turn` that ended, without the parent's seqs. */
export function remixedConversation(entries: readonly ConversationEntry[], turn: number): ConversationEntry[] {
  const ended = new Set(entries.filter((entry) => entry.kind === "ended" && entry.turn <= turn).map((entry) => entry.turn));
  return entries
    .filter((entry) => ended.has(entry.turn))
    .map((entry) => {
      if (entry.kind === "user") {
        const { controlSeq: _controlSeq, ...rest } = entry;
        return rest;
      }
      const { seq: _seq, ...rest } = entry;
      if (rest.kind === "ended" || rest.kind === "tool_result") {
        const { event: _event, ...withoutEvent } = rest;
        return withoutEvent;
      }
      return rest;
    });
}

/** Makes a copied volume this session's own; returns what was restored. */
export async function adoptRemixCopy(input: AdoptionInput): Promise<RestoredFrom> {
  const { conversation, restore, log } = input;
  const lastEnded = conversation.lastEndedTurn();
  let turn = restore && restore.turn > 0 ? restore.turn : lastEnded;
  if (turn > lastEnded) {
    log.warn({ requested: turn, available: lastEnded }, "the copied volume ends before the turn to restore; keeping what it has");
    turn = lastEnded;
  }
  // The control plane names the checkpoint when it has one; else the copied log may know it.
  const checkpointId = (restore?.turn === turn && restore.checkpointId) || conversation.checkpoint(turn)?.checkpointId || "";
  if (checkpointId) {
    const manifest = await input.checkpoints.readManifest(checkpointId);
    const report = await materialiseCheckpoint(input.checkpoints, manifest, input.workspace);
    log.info({ turn, checkpoint: checkpointId, ...report }, "restored the workspace from the turn's checkpoint");
  } else if (turn > 0) {
    log.warn({ turn }, "the turn to restore has no checkpoint; the files stay as copied");
  }
  await conversation.replace(remixedConversation(conversation.entries, turn));
  await input.outbox.reset(0n);
  const restoredFrom: RestoredFrom = {
    parentSessionId: restore?.parentSessionId || input.copiedFrom || "",
    turn,
    checkpointId,
  };
  await input.state.update({
    sessionId: input.sessionId,
    lastDaemonSeq: 0n,
    lastAckedDaemonSeq: 0n,
    lastAppliedControlSeq: 0n,
    restoredFrom,
  });
  log.info({ parent: restoredFrom.parentSessionId, turn }, "adopted the remixed volume");
  return restoredFrom;
}
