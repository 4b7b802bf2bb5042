import assert from "node:assert/strict";
import { appendFile, readFile, writeFile } from "node:fs/promises";
import { StateError } from "../errors.js";
import { tempVolume, type TempVolume } from "../testing/fixtures.js";
import { ConversationLog, type ConversationEntry } from "./conversation-log.js";

const at = "2026-01-01T00:00:00.000Z";
const user = (turn: number, text: string, controlSeq?: string): ConversationEntry => ({
  kind: "user",
  turn,
  messageId: `m${turn}`,
  text,
  targetAgent: "",
  ...(controlSeq ? { controlSeq } : {}),
  at,
});

describe("conversation log", () => {
  let volume: TempVolume;
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("keeps user messages and replies per turn across reopening", async () => {
    const log = await ConversationLog.open(volume.conversationFile);
    await log.append(user(1, "hello", "1"));
    await log.append({ kind: "started", turn: 1, agent: "helper", seq: "1", at });
    await log.append({ kind: "ended", turn: 1, agent: "helper", outcome: "completed", text: "hi there", seq: "3", at });
    await log.append(user(2, "again", "2"));

    const reopened = await ConversationLog.open(volume.conversationFile);
    assert.deepEqual(reopened.entries, log.entries);
    const turns = reopened.turns();
    assert.deepEqual(turns.map((t) => [t.turn, t.user.text, t.ended?.text]), [[1, "hello", "hi there"], [2, "again", undefined]]);
    assert.equal(reopened.lastAssignedTurn(), 2);
    assert.equal(reopened.lastEndedTurn(), 1);
    assert.equal(reopened.lastControlSeq(), 2n);
    assert.equal(reopened.lastAgent(), "helper");
    assert.ok(reopened.hasMessage("m2"));
    assert.ok(!reopened.hasMessage("m3"));
  });

  it("cuts off a line a crash tore, so the next append starts clean", async () => {
    const log = await ConversationLog.open(volume.conversationFile);
    await log.append(user(1, "hello"));
    await appendFile(volume.conversationFile, '{"kind":"user","turn":2,"messageId":"m2","te');

    const reopened = await ConversationLog.open(volume.conversationFile);
    assert.equal(reopened.entries.length, 1);
    await reopened.append(user(2, "second try"));
    const again = await ConversationLog.open(volume.conversationFile);
    assert.deepEqual(again.turns().map((t) => t.user.text), ["hello", "second try"]);
    assert.equal((await readFile(volume.conversationFile, "utf8")).split("\n").length, 3);
  });

  it("completes a last entry whose newline a crash cut off", async () => {
    await writeFile(volume.conversationFile, `${JSON.stringify(user(1, "hello"))}`);
    const log = await ConversationLog.open(volume.conversationFile);
    await log.append(user(2, "next"));
    assert.deepEqual((await ConversationLog.open(volume.conversationFile)).turns().map((t) => t.turn), [1, 2]);
  });

  it("refuses a damaged line in the middle instead of silently dropping history", async () => {
    await writeFile(volume.conversationFile, `${JSON.stringify(user(1, "a"))}\ngarbage\n${JSON.stringify(user(2, "b"))}\n`);
    await assert.rejects(ConversationLog.open(volume.conversationFile), StateError);
  });

  it("replaces the whole log atomically", async () => {
    const log = await ConversationLog.open(volume.conversationFile);
    await log.append(user(1, "a"));
    await log.append(user(2, "b"));
    await log.replace([user(1, "a")]);
    assert.deepEqual((await ConversationLog.open(volume.conversationFile)).entries, [user(1, "a")]);
  });
});
