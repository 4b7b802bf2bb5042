/**
 * The chat's view of a session's events: reply text written as it arrives (no line buffering),
 * and one distinguishable line for each tool call, guardrail decision, approval, handoff, usage
 * report, failure and cancellation, with a compact footer when a turn ends.
 */
import { durationMs, timestampDate } from "@bufbuild/protobuf/wkt";
import {
  ApprovalOutcomeSchema,
  GuardrailActionSchema,
  GuardrailStageSchema,
  LogLevel,
  SessionState,
  SessionStateSchema,
  ToolCallStatus,
  ToolCallStatusSchema,
  type ApprovalRequested,
  type SessionEvent,
} from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { formatDuration } from "../durations.js";
import { enumShortName } from "../objects/enums.js";
import type { ChatStyle } from "./style.js";
import { argumentSummary, clip, lengthSummary, tokenSummary } from "./summaries.js";

/** What the renderer needs: where to write, how to colour, and a few facts only the chat knows. */
export interface RendererOptions {
  /** Writes the conversation: reply text as is, and one line per event. */
  readonly write: (text: string) => void;
  /** Writes the chat's own notices (reconnecting, errors); default: `write`. */
  readonly writeNotice?: (text: string) => void;
  readonly style: ChatStyle;
  /** The current time, for approval expiries (default: the clock). */
  readonly now?: () => Date;
  /** Whether a user message is one this chat sent (not shown on a terminal, where it was typed). */
  readonly isOwnMessage?: (event: SessionEvent) => boolean;
  /** Show this chat's own messages too (for transcripts when stdin is not a terminal). */
  readonly echoOwnMessages?: boolean;
}

/** An enum value as lower-case words, e.g. "tool call" for GUARDRAIL_STAGE_TOOL_CALL. */
const words = (desc: Parameters<typeof enumShortName>[0], n: number) => enumShortName(desc, n).replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();

const eventTime = (event: SessionEvent) => (event.time ? timestampDate(event.time).getTime() : undefined);

/** Renders session events for the chat, one event at a time, in seq order. */
export class ChatRenderer {
  /** The agent whose reply text is on the current line, when one is open. */
  private speaking: string | undefined;
  private midLine = false;
  private readonly turnStarts = new Map<number, number>();

  constructor(private readonly options: RendererOptions) {}

  /** Renders one event. */
  render(event: SessionEvent): void {
    const p = event.payload;
    const s = this.options.style;
    switch (p.case) {
      case "textDelta":
        return this.text(event.agent, p.value.text);
      case "userMessage": {
        const own = this.options.isOwnMessage?.(event) ?? false;
        if (own && !this.options.echoOwnMessages) return;
        const sender = own ? "you" : (p.value.sender?.name ?? "user");
        return this.line(`${s.agent(`${sender}>`)} ${p.value.text}${p.value.targetAgent ? s.dim(` (to ${p.value.targetAgent})`) : ""}`, false);
      }
      case "turnStarted": {
        const at = eventTime(event);
        if (at !== undefined) this.turnStarts.set(event.turn, at);
        return;
      }
      case "toolCallStarted":
        return this.line(s.tool(`tool ${p.value.tool} ${argumentSummary(p.value.argumentsJson)}`.trimEnd()) + s.dim(` (${p.value.toolCallId})`));
      case "toolCallCompleted": {
        const v = p.value;
        const status = words(ToolCallStatusSchema, v.status);
        const facts = [v.exitCode === undefined ? "" : `exit ${v.exitCode}`, v.duration ? lengthSummary(durationMs(v.duration)) : "", v.outputTruncated ? "truncated" : ""].filter(Boolean);
        const detail = v.error || clip(v.output, 80);
        const paint = v.status === ToolCallStatus.SUCCEEDED ? s.tool : s.failure;
        return this.line(paint(`tool ${v.tool} ${status}${facts.length ? ` (${facts.join(", ")})` : ""}${detail ? `: ${detail}` : ""}`));
      }
      case "guardrailDecision": {
        const v = p.value;
        const stage = words(GuardrailStageSchema, v.stage);
        const action = words(GuardrailActionSchema, v.action);
        return this.line(s.guardrail(`guardrail ${stage} ${action}: ${v.rule}${v.reason ? ` — ${clip(v.reason, 200)}` : ""}`));
      }
      case "approvalRequested":
        return this.approvalRequested(p.value);
      case "approvalResolved": {
        const v = p.value;
        const by = v.decidedBy?.name ? ` by ${v.decidedBy.name}` : "";
        return this.line(s.approval(`approval ${words(ApprovalOutcomeSchema, v.outcome)} for ${v.toolCallId}${by}${v.reason ? `: ${v.reason}` : ""}`));
      }
      case "usage":
        return this.line(s.dim(`usage ${p.value.model}: ${tokenSummary(p.value.usage)}`));
      case "handoff":
        return this.line(s.agent(`handoff ${event.agent || "?"} → ${p.value.toAgent}`) + (p.value.message ? `: ${clip(p.value.message)}` : ""));
      case "turnCompleted": {
        const v = p.value;
        const took = v.duration ? durationMs(v.duration) : this.elapsed(event);
        return this.footer(event.turn, s.dim, "completed", [v.stopReason, tokenSummary(v.usage), took === undefined ? "" : lengthSummary(took)]);
      }
      case "turnFailed": {
        const v = p.value;
        const took = this.elapsed(event);
        return this.footer(event.turn, s.failure, `failed: ${v.reason}${v.message ? `: ${v.message}` : ""}`, [tokenSummary(v.usage), took === undefined ? "" : lengthSummary(took)]);
      }
      case "turnCancelled": {
        const v = p.value;
        const took = this.elapsed(event);
        const by = v.cancelledBy?.name ? ` by ${v.cancelledBy.name}` : "";
        return this.footer(event.turn, s.failure, `cancelled: ${v.reason}${by}`, [tokenSummary(v.usage), took === undefined ? "" : lengthSummary(took)]);
      }
      case "stateChanged": {
        const { from, to } = p.value;
        // Ready ⇄ Busy happens with every turn; the footer already says so.
        if ((from === SessionState.READY && to === SessionState.BUSY) || (from === SessionState.BUSY && to === SessionState.READY)) return;
        const paint = to === SessionState.FAILED ? s.failure : s.dim;
        const why = `${p.value.reason}${p.value.message ? `: ${p.value.message}` : ""}`;
        return this.line(paint(`session ${enumShortName(SessionStateSchema, from)} → ${enumShortName(SessionStateSchema, to)}${why ? ` (${why})` : ""}`));
      }
      case "log": {
        const v = p.value;
        if (v.level === LogLevel.DEBUG) return;
        const paint = v.level === LogLevel.ERROR || v.level === LogLevel.WARN ? s.failure : s.dim;
        return this.line(paint(`log ${v.level === LogLevel.ERROR ? "error" : v.level === LogLevel.WARN ? "warning" : "info"}${v.source ? ` ${v.source}` : ""}: ${clip(v.message, 200)}`));
      }
      default:
        return;
    }
  }

  /** Writes a line of the chat's own (reconnecting, errors, help), ending any open reply line first. */
  notice(text: string): void {
    this.endLine();
    (this.options.writeNotice ?? this.options.write)(`${text}\n`);
  }

  /** Ends the open reply line, if any, so that what follows starts on a line of its own. */
  endLine(): void {
    if (this.midLine) this.options.write("\n");
    this.midLine = false;
    this.speaking = undefined;
  }

  private text(agent: string, chunk: string): void {
    if (chunk === "") return;
    if (this.speaking === undefined) {
      this.endLine();
      this.options.write(`${this.options.style.agent(`${agent || "agent"}>`)} `);
      this.speaking = agent;
    }
    this.options.write(chunk);
    this.midLine = !chunk.endsWith("\n");
  }

  private line(text: string, indent = true): void {
    this.endLine();
    this.options.write(`${indent ? "  " : ""}${text}\n`);
  }

  private footer(turn: number, paint: (text: string) => string, outcome: string, facts: string[]): void {
    this.turnStarts.delete(turn);
    this.line(paint(`── turn ${turn} ${outcome}${facts.filter(Boolean).map((f) => ` · ${f}`).join("")}`), false);
  }

  private elapsed(event: SessionEvent): number | undefined {
    const start = this.turnStarts.get(event.turn);
    const end = eventTime(event);
    return start === undefined || end === undefined ? undefined : end - start;
  }

  private approvalRequested(v: ApprovalRequested): void {
    const s = this.options.style;
    const now = (this.options.now ?? (() => new Date()))();
    const expires = v.expiresAt ? timestampDate(v.expiresAt) : undefined;
    const expiry = expires ? `; expires in ${formatDuration(expires.getTime() - now.getTime())} (${expires.toISOString().replace(/\.\d{3}Z$/, "Z")})` : "";
    this.line(s.approval(`approval needed: ${v.tool} ${argumentSummary(v.argumentsJson, 200)}`.trimEnd()) + s.dim(` (${v.toolCallId})`));
    this.line(s.approval(`  reason: ${v.reason || "the tool's policy"}${expiry}`));
    this.line(s.dim(`  answer y or n (with an optional reason), or /approve ${v.toolCallId} [reason], /deny ${v.toolCallId} [reason]`));
  }
}
