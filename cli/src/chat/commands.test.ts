import assert from "node:assert/strict";
import { UsageError } from "../errors.js";
import { messageText, parseApprovalAnswer, parseSlashCommand } from "./commands.js";
import { parseSessionRef } from "./session-ref.js";

describe("chat input", () => {
  it("parses slash commands, with arguments, and refuses unknown or incomplete ones", () => {
    assert.deepEqual(parseSlashCommand("/approve call-1 looks fine"), { name: "approve", toolCallId: "call-1", reason: "looks fine" });
    assert.deepEqual(parseSlashCommand(" /DENY call-2"), { name: "deny", toolCallId: "call-2", reason: "" });
    assert.deepEqual(parseSlashCommand("/deny"), { name: "invalid", problem: "usage: /deny <tool call id> [reason]" });
    assert.deepEqual(parseSlashCommand("/cancel"), { name: "cancel" });
    assert.deepEqual(parseSlashCommand("/exit"), { name: "quit" });
    assert.deepEqual(parseSlashCommand("/frobnicate"), { name: "invalid", problem: "unknown command /frobnicate (see /help)" });
    assert.equal(parseSlashCommand("hello /cancel"), undefined);
    assert.equal(parseSlashCommand("//etc/passwd is a path"), undefined, "// escapes a message starting with /");
    assert.equal(messageText("//etc/passwd is a path"), "/etc/passwd is a path");
  });

  it("reads y/n answers to an approval prompt, with an optional reason", () => {
    assert.deepEqual(parseApprovalAnswer("y"), { approve: true, reason: "" });
    assert.deepEqual(parseApprovalAnswer("Yes go ahead"), { approve: true, reason: "go ahead" });
    assert.deepEqual(parseApprovalAnswer("n too risky"), { approve: false, reason: "too risky" });
    assert.equal(parseApprovalAnswer("nope"), undefined);
    assert.equal(parseApprovalAnswer("maybe"), undefined);
  });

  it("takes a session as NAME or NAMESPACE/NAME, with -n agreeing", () => {
    assert.deepEqual(parseSessionRef("demo", undefined), { namespace: "default", name: "demo" });
    assert.deepEqual(parseSessionRef("demo", "team-a"), { namespace: "team-a", name: "demo" });
    assert.deepEqual(parseSessionRef("team-a/demo", undefined), { namespace: "team-a", name: "demo" });
    assert.throws(() => parseSessionRef("team-a/demo", "team-b"), UsageError);
    assert.throws(() => parseSessionRef("a/b/c", undefined), /give NAME or NAMESPACE\/NAME/);
  });
});
