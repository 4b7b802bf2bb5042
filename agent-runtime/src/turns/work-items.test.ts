import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { WorkItemSchema, type WorkItem } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { TurnCancelledError } from "../errors.js";
import { ConversationLog } from "../state/conversation-log.js";
import { silentLogger, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { ApprovalBroker } from "./approvals.js";
import { applyWorkItem } from "./work-items.js";

const message = (messageId: string, text: string): WorkItem["item"] =>
  create(WorkItemSchema, { item: { case: "userMessage", value: { messageId, text } } }).item;

describe("applying work items", () => {
  let volume: TempVolume;
  let conversation: ConversationLog;
  const nudges: string[] = [];
  const cancels: [number, TurnCancelledError][] = [];
  const turns = {
    notify: () => void nudges.push("nudge"),
    cancel: (turn: number, reason: TurnCancelledError) => {
      cancels.push([turn, reason]);
      return true;
    },
  };
  beforeEach(async () => {
    volume = await tempVolume();
    conversation = await ConversationLog.open(volume.conversationFile);
    nudges.length = 0;
    cancels.length = 0;
  });
  afterEach(() => volume.remove());

  it("records a user message durably as the next turn, and nudges the loop only in the effect", async () => {
    const application = await applyWorkItem(4n, message("m-1", "hello"), { conversation, turns, log: silentLogger() });
    assert.equal(nudges.length, 0, "nothing runs before the seq is recorded");
    const onDisk = await ConversationLog.open(volume.conversationFile);
    assert.deepEqual(onDisk.turns().map((record) => [record.turn, record.user.text, record.user.controlSeq]), [[1, "hello", "4"]]);
    application?.effect();
    assert.deepEqual(nudges, ["nudge"]);
    await applyWorkItem(5n, message("m-2", "again"), { conversation, turns, log: silentLogger() });
    assert.equal(conversation.lastAssignedTurn(), 2);
  });

  it("does not queue a message id twice, even under a new seq", async () => {
    await applyWorkItem(1n, message("m-1", "hello"), { conversation, turns, log: silentLogger() });
    const repeat = await applyWorkItem(2n, message("m-1", "hello"), { conversation, turns, log: silentLogger() });
    assert.equal(repeat, undefined);
    assert.equal(conversation.turns().length, 1);
  });

  it("turns a cancel into an effect that cancels the named turn with who asked", async () => {
    const item = create(WorkItemSchema, { item: { case: "cancelTurn", value: { turn: 3, cancelledBy: { name: "bob" } } } }).item;
    const application = await applyWorkItem(1n, item, { conversation, turns, log: silentLogger() });
    assert.equal(cancels.length, 0);
    application?.effect();
    assert.equal(cancels[0]?.[0], 3);
    assert.equal(cancels[0]?.[1].reason, "Cancelled");
    assert.equal(cancels[0]?.[1].cancelledBy?.name, "bob");
  });

  it("turns an approval decision into an effect that answers the waiting call; a decision for no pending call is ignored", async () => {
    const approvals = new ApprovalBroker();
    const waiting = approvals.wait("call-1", 60_000, new AbortController().signal);
    const decision = (toolCallId: string) =>
      create(WorkItemSchema, { item: { case: "approvalDecision", value: { toolCallId, approve: true, reason: "ok", decidedBy: { name: "ann" } } } }).item;
    const stray = await applyWorkItem(1n, decision("call-9"), { conversation, turns, log: silentLogger(), approvals });
    stray?.effect();
    assert.deepEqual(approvals.pending, ["call-1"], "the stray decision answered nothing");
    const application = await applyWorkItem(2n, decision("call-1"), { conversation, turns, log: silentLogger(), approvals });
    assert.deepEqual(approvals.pending, ["call-1"], "nothing is answered before the seq is recorded");
    application?.effect();
    const answer = await waiting;
    assert.deepEqual([answer.outcome, answer.reason, "decidedBy" in answer ? answer.decidedBy?.name : ""], ["approved", "ok", "ann"]);
    assert.deepEqual(approvals.pending, []);
  });
});
