import assert from "node:assert/strict";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  ApprovalOutcome,
  GuardrailAction,
  GuardrailStage,
  LogLevel,
  SessionEventSchema,
  SessionState,
  ToolCallStatus,
  type SessionEvent,
} from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { ChatRenderer, type RendererOptions } from "./renderer.js";
import { plainStyle, styleFor } from "./style.js";

const t0 = new Date("2030-01-01T12:00:00Z");
const at = (ms: number) => timestampFromDate(new Date(t0.getTime() + ms));
type EventInit = Exclude<MessageInitShape<typeof SessionEventSchema>, SessionEvent>;
const event = (payload: EventInit["payload"], extra: Pick<EventInit, "agent" | "turn" | "time"> = {}): SessionEvent =>
  create(SessionEventSchema, { agent: "greeter", turn: 1, time: at(0), ...extra, payload });

/** Renders events and returns what the conversation stream and the notice stream got. */
function render(events: SessionEvent[], options: Partial<RendererOptions> = {}, after?: (r: ChatRenderer) => void): { out: string; notices: string } {
  let out = "";
  let notices = "";
  const renderer = new ChatRenderer({ write: (text) => (out += text), writeNotice: (text) => (notices += text), style: plainStyle, now: () => t0, ...options });
  for (const e of events) renderer.render(e);
  after?.(renderer);
  return { out, notices };
}

describe("ChatRenderer", () => {
  it("streams reply text as it arrives, prefixed once by the agent that speaks, and ends the line before anything else", () => {
    const chunks: string[] = [];
    const renderer = new ChatRenderer({ write: (text) => chunks.push(text), style: plainStyle });
    renderer.render(event({ case: "textDelta", value: { text: "Hel" } }));
    assert.deepEqual(chunks, ["greeter> ", "Hel"], "written at once, not held back until a newline");
    renderer.render(event({ case: "textDelta", value: { text: "lo." } }));
    renderer.render(event({ case: "toolCallStarted", value: { toolCallId: "c1", tool: "shell", argumentsJson: '{"command":"ls -la"}' } }));
    renderer.render(event({ case: "textDelta", value: { text: "Done." } }));
    renderer.endLine();
    assert.equal(chunks.join(""), 'greeter> Hello.\n  tool shell command="ls -la" (c1)\ngreeter> Done.\n');
  });

  it("shows a user message from someone else, and this chat's own only when asked to echo them", () => {
    const message = event({ case: "userMessage", value: { messageId: "m1", text: "hi", sender: { name: "alice" }, targetAgent: "helper" } }, { agent: "", turn: 0 });
    assert.equal(render([message]).out, "alice> hi (to helper)\n");
    assert.equal(render([message], { isOwnMessage: () => true }).out, "");
    assert.equal(render([message], { isOwnMessage: () => true, echoOwnMessages: true }).out, "you> hi (to helper)\n");
  });

  it("shows a tool call with an argument summary, and its completion with status, exit code, duration and a short result", () => {
    const { out } = render([
      event({ case: "toolCallStarted", value: { toolCallId: "c1", tool: "write_file", argumentsJson: '{"path":"a/b.txt","content":"line one\\nline two"}' } }),
      event({ case: "toolCallCompleted", value: { toolCallId: "c1", tool: "write_file", status: ToolCallStatus.SUCCEEDED, output: "wrote 17 bytes\nmore", exitCode: 0, duration: durationFromMs(1234) } }),
      event({ case: "toolCallCompleted", value: { toolCallId: "c2", tool: "shell", status: ToolCallStatus.TIMED_OUT, error: "killed after 30s" } }),
      event({ case: "toolCallCompleted", value: { toolCallId: "c3", tool: "shell", status: ToolCallStatus.DENIED, error: "command denied", outputTruncated: true } }),
      event({ case: "toolCallStarted", value: { toolCallId: "c4", tool: "odd", argumentsJson: "not json" } }),
    ]);
    assert.equal(
      out,
      [
        '  tool write_file path=a/b.txt content="line one\\nline two" (c1)',
        "  tool write_file succeeded (exit 0, 1.2s): wrote 17 bytes …",
        "  tool shell timed out: killed after 30s",
        "  tool shell denied (truncated): command denied",
        "  tool odd not json (c4)",
        "",
      ].join("\n"),
    );
  });

  it("shows guardrail decisions with stage, action, rule and reason", () => {
    const { out } = render([
      event({ case: "guardrailDecision", value: { stage: GuardrailStage.TOOL_CALL, action: GuardrailAction.DENY, rule: "guardrails.tool_call.command_deny_patterns[0]", reason: "rm -rf is not allowed", toolCallId: "c1" } }),
      event({ case: "guardrailDecision", value: { stage: GuardrailStage.OUTPUT, action: GuardrailAction.REDACT, rule: "guardrails.output.redact_secrets" } }),
      event({ case: "guardrailDecision", value: { stage: GuardrailStage.BUDGET, action: GuardrailAction.REQUIRE_APPROVAL, rule: "guardrails.budgets.max_tool_calls_per_turn", reason: "r" } }),
    ]);
    assert.equal(
      out,
      [
        "  guardrail tool call deny: guardrails.tool_call.command_deny_patterns[0] — rm -rf is not allowed",
        "  guardrail output redact: guardrails.output.redact_secrets",
        "  guardrail budget require approval: guardrails.budgets.max_tool_calls_per_turn — r",
        "",
      ].join("\n"),
    );
  });

  it("shows an approval request with tool, arguments, reason, expiry and how to answer, and its resolution", () => {
    const { out } = render([
      event({ case: "approvalRequested", value: { toolCallId: "c9", tool: "shell", argumentsJson: '{"command":"make deploy"}', reason: "tools[0].require_approval", expiresAt: at(300_000) } }),
      event({ case: "approvalResolved", value: { toolCallId: "c9", outcome: ApprovalOutcome.APPROVED, decidedBy: { name: "admin" }, reason: "looks fine" } }),
      event({ case: "approvalResolved", value: { toolCallId: "c8", outcome: ApprovalOutcome.TIMED_OUT } }),
    ]);
    assert.equal(
      out,
      [
        '  approval needed: shell command="make deploy" (c9)',
        "    reason: tools[0].require_approval; expires in 5m (2030-01-01T12:05:00Z)",
        "    answer y or n (with an optional reason), or /approve c9 [reason], /deny c9 [reason]",
        "  approval approved for c9 by admin: looks fine",
        "  approval timed out for c8",
        "",
      ].join("\n"),
    );
  });

  it("shows handoffs (which agent speaks next), usage, and logs above debug", () => {
    const { out } = render([
      event({ case: "handoff", value: { toAgent: "reviewer", message: "please review" } }),
      event({ case: "textDelta", value: { text: "Reviewing." } }, { agent: "reviewer" }),
      event({ case: "usage", value: { model: "gpt-4o", usage: { inputTokens: 12n, outputTokens: 30n, costUsd: 0.0012 } } }),
      event({ case: "log", value: { level: LogLevel.DEBUG, message: "noise" } }),
      event({ case: "log", value: { level: LogLevel.WARN, message: "arguments repaired", source: "model" } }),
    ]);
    assert.equal(
      out,
      ["  handoff greeter → reviewer: please review", "reviewer> Reviewing.", "  usage gpt-4o: 12 in / 30 out tokens, $0.0012", "  log warning model: arguments repaired", ""].join("\n"),
    );
  });

  it("ends each turn with a footer: outcome, tokens and duration (from the turn's own events when the end carries none)", () => {
    const { out } = render([
      event({ case: "turnStarted", value: { messageId: "m1" } }),
      event({ case: "textDelta", value: { text: "Hi" } }),
      event({ case: "turnCompleted", value: { stopReason: "end_turn", usage: { inputTokens: 5n, outputTokens: 7n }, duration: durationFromMs(2500) } }),
      event({ case: "turnStarted", value: { messageId: "m2" } }, { turn: 2, time: at(10_000) }),
      event({ case: "turnFailed", value: { reason: "ModelError", message: "429 from the provider" } }, { turn: 2, time: at(11_500) }),
      event({ case: "turnStarted", value: { messageId: "m3" } }, { turn: 3, time: at(20_000) }),
      event({ case: "turnCancelled", value: { reason: "Cancelled", cancelledBy: { name: "admin" }, usage: { inputTokens: 1n, outputTokens: 0n } } }, { turn: 3, time: at(20_300) }),
    ]);
    assert.equal(
      out,
      [
        "greeter> Hi",
        "── turn 1 completed · end_turn · 5 in / 7 out tokens · 2.5s",
        "── turn 2 failed: ModelError: 429 from the provider · 1.5s",
        "── turn 3 cancelled: Cancelled by admin · 1 in / 0 out tokens · 0.3s",
        "",
      ].join("\n"),
    );
  });

  it("shows state changes except the Ready ⇄ Busy of every turn", () => {
    const { out } = render([
      event({ case: "stateChanged", value: { from: SessionState.READY, to: SessionState.BUSY, reason: "TurnStarted" } }),
      event({ case: "stateChanged", value: { from: SessionState.BUSY, to: SessionState.READY, reason: "TurnEnded" } }),
      event({ case: "stateChanged", value: { from: SessionState.STARTING, to: SessionState.FAILED, reason: "DaemonCrashLoop", message: "exited 3 times" } }),
    ]);
    assert.equal(out, "  session Starting → Failed (DaemonCrashLoop: exited 3 times)\n");
  });

  it("writes notices to their own stream after ending an open reply line", () => {
    const { out, notices } = render([event({ case: "textDelta", value: { text: "part one" } })], {}, (r) => r.notice("reconnecting…"));
    assert.deepEqual([out, notices], ["greeter> part one\n", "reconnecting…\n"]);
  });

  it("colours only a terminal without NO_COLOR", () => {
    const tty = { isTTY: true } as NodeJS.WritableStream & { isTTY?: boolean };
    assert.notEqual(styleFor(tty, {}).tool("x"), "x");
    assert.equal(styleFor(tty, { NO_COLOR: "1" }).tool("x"), "x");
    assert.equal(styleFor({ isTTY: false } as NodeJS.WritableStream & { isTTY?: boolean }, {}).tool("x"), "x");
  });
});
