/**
 * Adopting a remix copy. A remixed session's volume starts as a copy of its parent's, `.raworc/`
 * included: the parent's conversation, but also the parent's outbox and sequence numbers, which
 * mean nothing in the new session. On the first Welcome the daemon keeps the conversation up to
 * the restored turn (Welcome.restore.turn, else the last ended turn), drops unfinished turns, the
 * outbox and the parent's seqs, and records in the state file that it has restored, so a
 * repeated Welcome is harmless.
 */
import type { RestoreCheckpoint } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { Outbox } from "../channel/outbox.js";
import type { Logger } from "../logger.js";
import type { ConversationEntry, ConversationLog } from "../state/conversation-log.js";
import type { DaemonStateStore, RestoredFrom } from "../state/daemon-state.js";

/** What the adoption needs. */
export interface AdoptionInput {
  readonly sessionId: string;
  readonly conversation: ConversationLog;
  readonly outbox: Outbox;
  readonly state: DaemonStateStore;
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
  await conversation.replace(remixedConversation(conversation.entries, turn));
  await input.outbox.reset(0n);
  const restoredFrom: RestoredFrom = {
    parentSessionId: restore?.parentSessionId || input.copiedFrom || "",
    turn,
    checkpointId: restore?.checkpointId ?? "",
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
