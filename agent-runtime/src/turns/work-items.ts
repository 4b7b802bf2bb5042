/**
 * What applying each kind of work item means. A user message is recorded in the conversation
 * log under the next turn number (the durable part, done before the item is acknowledged; a
 * message id already there is a repeat and is not recorded twice); the turn loop is nudged only
 * once the item's seq is recorded. A cancel is purely an in-memory effect, so it runs after the
 * record too: a crash can lose it (with the turn it cancels), never apply it to a later turn. An
 * approval decision is the same: it answers the call waiting for it, if one still waits.
 */
import type { WorkItem } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { Application } from "../channel/work-ledger.js";
import { TurnCancelledError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ConversationLog } from "../state/conversation-log.js";
import type { ApprovalBroker } from "./approvals.js";
import type { TurnLoop } from "./turn-loop.js";

/** What applying work items touches. */
export interface WorkItemTargets {
  readonly conversation: ConversationLog;
  readonly turns: Pick<TurnLoop, "notify" | "cancel">;
  readonly log: Logger;
  /** Where tool calls wait for approval; without it every decision is for no pending call. */
  readonly approvals?: Pick<ApprovalBroker, "decide">;
}

/** Applies one work item with control seq `seq`; see the file comment for what is durable when. */
export async function applyWorkItem(seq: bigint, item: WorkItem["item"], targets: WorkItemTargets): Promise<Application> {
  const { conversation, turns, log } = targets;
  switch (item.case) {
    case "userMessage": {
      const message = item.value;
      if (conversation.hasMessage(message.messageId)) {
        log.info({ seq: seq.toString(), messageId: message.messageId }, "message already recorded; not queued again");
        return;
      }
      const turn = conversation.lastAssignedTurn() + 1;
      await conversation.append({
        kind: "user",
        turn,
        messageId: message.messageId,
        text: message.text,
        targetAgent: message.targetAgent,
        controlSeq: seq.toString(),
        at: new Date().toISOString(),
      });
      log.info({ seq: seq.toString(), turn, messageId: message.messageId, chars: message.text.length }, "message queued");
      return { effect: () => turns.notify() };
    }
    case "cancelTurn": {
      const cancel = item.value;
      return {
        effect: () => {
          const cancelled = turns.cancel(cancel.turn, new TurnCancelledError("Cancelled", cancel.cancelledBy));
          log.info({ seq: seq.toString(), turn: cancel.turn, cancelled }, cancelled ? "turn cancelled" : "cancel for a turn not running; ignored");
        },
      };
    }
    case "approvalDecision": {
      const decision = item.value;
      return {
        effect: () => {
          const answered = targets.approvals?.decide(decision) ?? false;
          log.info(
            { seq: seq.toString(), toolCallId: decision.toolCallId, approve: decision.approve, answered },
            answered ? "approval decision applied" : "approval decision for no pending call; ignored",
          );
        },
      };
    }
    default:
      log.warn({ seq: seq.toString() }, "work item of an unknown kind; acknowledged and ignored");
      return;
  }
}
