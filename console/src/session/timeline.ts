/**
 * Folds a session's events into what the page shows: user messages, each turn's reply as one
 * growing text, tool calls with their results, approvals, guardrail decisions, usage and state
 * changes. Incremental: each batch of events updates the items in place.
 */
import type { SessionEvent, Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** One thing on the session's timeline. */
export type TimelineItem =
  | { kind: "user"; seq: bigint; text: string; sender: string }
  | { kind: "reply"; seq: bigint; turn: number; agent: string; text: string }
  | { kind: "tool"; seq: bigint; turn: number; id: string; tool: string; args: string; status: number | undefined; output: string; error: string; truncated: boolean }
  | { kind: "approval"; seq: bigint; turn: number; id: string; tool: string; args: string; reason: string; outcome: number | undefined; decidedBy: string }
  | { kind: "guardrail"; seq: bigint; turn: number; stage: number; action: number; rule: string; reason: string }
  | { kind: "usage"; seq: bigint; turn: number; model: string; usage: Usage | undefined }
  | { kind: "turn-start"; seq: bigint; turn: number; agent: string }
  | { kind: "turn-end"; seq: bigint; turn: number; outcome: "completed" | "failed" | "cancelled"; reason: string; message: string; usage: Usage | undefined }
  | { kind: "state"; seq: bigint; from: number; to: number; reason: string; message: string }
  | { kind: "handoff"; seq: bigint; turn: number; from: string; to: string; message: string }
  | { kind: "log"; seq: bigint; turn: number; level: number; source: string; message: string };

/** The timeline of one session, built event by event. */
export class Timeline {
  /** The items, in event order. */
  readonly items: TimelineItem[] = [];
  /** The seq of the last event folded in. */
  lastSeq = 0n;
  private readonly tools = new Map<string, Extract<TimelineItem, { kind: "tool" }>>();
  private readonly approvals = new Map<string, Extract<TimelineItem, { kind: "approval" }>>();
  private openReply: Extract<TimelineItem, { kind: "reply" }> | undefined;

  /** Folds in events; ones at or below lastSeq (a replay after a reconnect) are skipped. */
  add(events: readonly SessionEvent[]): void {
    for (const event of events) {
      if (event.seq <= this.lastSeq) continue;
      this.lastSeq = event.seq;
      this.fold(event);
    }
  }

  private fold(e: SessionEvent): void {
    const { seq, turn, agent } = e;
    const p = e.payload;
    if (p.case !== "textDelta") this.openReply = undefined;
    switch (p.case) {
      case "userMessage": {
        const s = p.value.sender;
        this.items.push({ kind: "user", seq, text: p.value.text, sender: s ? (s.namespace ? `${s.namespace}/${s.name}` : s.name) : "" });
        break;
      }
      case "turnStarted":
        this.items.push({ kind: "turn-start", seq, turn, agent });
        break;
      case "textDelta":
        if (this.openReply && this.openReply.turn === turn && this.openReply.agent === agent) this.openReply.text += p.value.text;
        else this.items.push((this.openReply = { kind: "reply", seq, turn, agent, text: p.value.text }));
        break;
      case "toolCallStarted": {
        const item = { kind: "tool" as const, seq, turn, id: p.value.toolCallId, tool: p.value.tool, args: p.value.argumentsJson, status: undefined, output: "", error: "", truncated: false };
        this.tools.set(item.id, item);
        this.items.push(item);
        break;
      }
      case "toolCallCompleted": {
        const item = this.tools.get(p.value.toolCallId);
        if (item) Object.assign(item, { status: p.value.status, output: p.value.output, error: p.value.error, truncated: p.value.outputTruncated });
        break;
      }
      case "approvalRequested": {
        const item = { kind: "approval" as const, seq, turn, id: p.value.toolCallId, tool: p.value.tool, args: p.value.argumentsJson, reason: p.value.reason, outcome: undefined, decidedBy: "" };
        this.approvals.set(item.id, item);
        this.items.push(item);
        break;
      }
      case "approvalResolved": {
        const item = this.approvals.get(p.value.toolCallId);
        if (item) Object.assign(item, { outcome: p.value.outcome, decidedBy: p.value.decidedBy?.name ?? "" });
        break;
      }
      case "guardrailDecision":
        this.items.push({ kind: "guardrail", seq, turn, stage: p.value.stage, action: p.value.action, rule: p.value.rule, reason: p.value.reason });
        break;
      case "usage":
        this.items.push({ kind: "usage", seq, turn, model: p.value.model, usage: p.value.usage });
        break;
      case "handoff":
        this.items.push({ kind: "handoff", seq, turn, from: agent, to: p.value.toAgent, message: p.value.message });
        break;
      case "turnCompleted":
        this.items.push({ kind: "turn-end", seq, turn, outcome: "completed", reason: p.value.stopReason, message: "", usage: p.value.usage });
        break;
      case "turnFailed":
        this.items.push({ kind: "turn-end", seq, turn, outcome: "failed", reason: p.value.reason, message: p.value.message, usage: p.value.usage });
        break;
      case "turnCancelled":
        this.items.push({ kind: "turn-end", seq, turn, outcome: "cancelled", reason: p.value.reason, message: "", usage: p.value.usage });
        break;
      case "stateChanged":
        this.items.push({ kind: "state", seq, from: p.value.from, to: p.value.to, reason: p.value.reason, message: p.value.message });
        break;
      case "log":
        this.items.push({ kind: "log", seq, turn, level: p.value.level, source: p.value.source, message: p.value.message });
        break;
      case undefined:
        break;
    }
  }
}
