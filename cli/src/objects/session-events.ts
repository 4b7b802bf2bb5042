/** Session events and turns as people read them: one line per event, reply text as it streams, tables of events and turns. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import {
  ApprovalOutcomeSchema,
  GuardrailActionSchema,
  GuardrailStageSchema,
  LogLevelSchema,
  SessionStateSchema,
  ToolCallStatusSchema,
  type SessionEvent,
  type Usage,
} from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { TurnOutcomeSchema, type Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { formatDuration } from "../durations.js";
import type { Table } from "../output.js";
import { enumShortName } from "./enums.js";

const firstLine = (text: string, max = 120) => {
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

const tokens = (usage: Usage | undefined) => (usage ? `${usage.inputTokens} in / ${usage.outputTokens} out tokens` : "");

/** What an event says, in a few words (a text delta is its text). */
export function describeEvent(event: SessionEvent): string {
  const p = event.payload;
  switch (p.case) {
    case "userMessage": {
      const sender = p.value.sender?.name ? (p.value.sender.namespace ? `${p.value.sender.namespace}/${p.value.sender.name}` : p.value.sender.name) : "user";
      return `message from ${sender}${p.value.targetAgent ? ` to ${p.value.targetAgent}` : ""}: ${firstLine(p.value.text)}`;
    }
    case "turnStarted":
      return `turn ${event.turn} started`;
    case "textDelta":
      return p.value.text;
    case "toolCallStarted":
      return `tool call ${p.value.tool} ${firstLine(p.value.argumentsJson, 200)} (${p.value.toolCallId})`;
    case "toolCallCompleted": {
      const status = enumShortName(ToolCallStatusSchema, p.value.status);
      const detail = p.value.error || firstLine(p.value.output);
      return `tool ${p.value.tool} ${status}${p.value.exitCode === undefined ? "" : ` (exit ${p.value.exitCode})`}${detail ? `: ${detail}` : ""}`;
    }
    case "guardrailDecision":
      return `guardrail ${enumShortName(GuardrailStageSchema, p.value.stage)} ${enumShortName(GuardrailActionSchema, p.value.action)}: ${p.value.rule}${p.value.reason ? ` (${p.value.reason})` : ""}`;
    case "approvalRequested":
      return `approval needed for ${p.value.tool} (${p.value.toolCallId}): ${p.value.reason}`;
    case "approvalResolved":
      return `approval ${enumShortName(ApprovalOutcomeSchema, p.value.outcome)} for ${p.value.toolCallId}${p.value.decidedBy?.name ? ` by ${p.value.decidedBy.name}` : ""}`;
    case "usage":
      return `usage ${p.value.model}: ${tokens(p.value.usage)}`;
    case "handoff":
      return `handoff to ${p.value.toAgent}${p.value.message ? `: ${firstLine(p.value.message)}` : ""}`;
    case "turnCompleted":
      return `turn ${event.turn} completed${p.value.stopReason ? ` (${p.value.stopReason})` : ""}${p.value.usage ? `, ${tokens(p.value.usage)}` : ""}`;
    case "turnFailed":
      return `turn ${event.turn} failed: ${p.value.reason}${p.value.message ? `: ${p.value.message}` : ""}`;
    case "turnCancelled":
      return `turn ${event.turn} cancelled: ${p.value.reason}`;
    case "stateChanged":
      return `state ${enumShortName(SessionStateSchema, p.value.from)} → ${enumShortName(SessionStateSchema, p.value.to)} (${p.value.reason}${p.value.message ? `: ${p.value.message}` : ""})`;
    case "log":
      return `${enumShortName(LogLevelSchema, p.value.level).toLowerCase()}${p.value.source ? ` ${p.value.source}` : ""}: ${p.value.message}`;
    default:
      return "unknown event";
  }
}

/** The line `watch` prints for an event other than a text delta: `[12] greeter: turn 1 started`. */
export function eventLine(event: SessionEvent): string {
  return `[${event.seq}] ${event.agent ? `${event.agent}: ` : ""}${describeEvent(event)}`;
}

/**
 * Writes events as `watch` shows them: one line each, except reply text, which streams inline
 * as it arrives and is ended by a newline before the next line.
 */
export class EventPrinter {
  private midLine = false;

  constructor(private readonly write: (text: string) => void) {}

  /** Prints one event. */
  print(event: SessionEvent): void {
    if (event.payload.case === "textDelta") return this.text(event.payload.value.text);
    this.endLine();
    this.write(`${eventLine(event)}\n`);
  }

  /** Prints reply text inline. */
  text(chunk: string): void {
    if (chunk === "") return;
    this.write(chunk);
    this.midLine = !chunk.endsWith("\n");
  }

  /** Ends a line of streamed text, if one is open. */
  endLine(): void {
    if (this.midLine) this.write("\n");
    this.midLine = false;
  }
}

/** The table of `sessions events`: SEQ, TIME, TURN, AGENT, EVENT, DETAIL. */
export function eventsTable(events: readonly SessionEvent[]): Table {
  return {
    columns: ["seq", "time", "turn", "agent", "event", "detail"],
    rows: events.map((e) => [
      e.seq,
      e.time ? timestampDate(e.time).toISOString().replace(/\.\d{3}Z$/, "Z") : "",
      e.turn || "",
      e.agent,
      e.payload.case ?? "",
      e.payload.case === "textDelta" ? JSON.stringify(e.payload.value.text) : describeEvent(e),
    ]),
  };
}

/** A turn's length: tenths of a second below 10 s (turns are often that short), kubectl style above. */
function turnDuration(ms: number): string {
  return ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDuration(ms);
}

/** The table of `sessions history`: TURN, INHERITED (the ancestor that took an inherited turn, else -), AGENT, OUTCOME, STARTED, DURATION, TOKENS, CHECKPOINT, MESSAGE. */
export function turnsTable(turns: readonly Turn[]): Table {
  return {
    columns: ["turn", "inherited", "agent", "outcome", "started", "duration", "tokens", "checkpoint", "message"],
    rows: turns.map((t) => {
      const started = t.startedAt ? timestampDate(t.startedAt) : undefined;
      const ended = t.endedAt ? timestampDate(t.endedAt) : undefined;
      return [
        t.number,
        t.inheritedFrom ? (t.inheritedFrom.session?.name ?? t.inheritedFrom.sessionUid) : "-",
        t.agent,
        enumShortName(TurnOutcomeSchema, t.outcome),
        started ? started.toISOString().replace(/\.\d{3}Z$/, "Z") : "",
        started && ended ? turnDuration(ended.getTime() - started.getTime()) : "",
        t.usage ? `${t.usage.inputTokens}/${t.usage.outputTokens}` : "",
        // Short, like a git commit; -o json shows the whole id. A turn with one can be remixed with --at-turn.
        t.checkpointId.slice(0, 12),
        t.summary,
      ];
    }),
  };
}
