/**
 * Crash recovery at start-up, before the daemon says Hello. The conversation log records each
 * turn's start and end under the daemon seq of their events before those events are written, so
 * comparing with the outbox's highest written seq tells what a crash cut short:
 *
 * - an end or a tool result recorded but its event never written: the recorded event is written now;
 * - a start recorded but its TurnStarted never written: the turn never began and simply runs;
 * - a turn that began but never ended: its reply was cut short, so it is closed with
 *   TurnFailed (reason Interrupted) — replaying it would show the user a second, different reply.
 *   A tool call of that turn whose ToolCallStarted was written but whose result was never
 *   recorded is closed first with ToolCallCompleted FAILED ("interrupted"), not run again: the
 *   daemon cannot know what it already did. Tool calls are never rerun after a crash.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { SessionEventSchema, ToolCallCompletedSchema, ToolCallStatus, TurnFailedSchema, UsageSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import type { Outbox } from "../channel/outbox.js";
import type { Logger } from "../logger.js";
import type { ConversationLog } from "../state/conversation-log.js";

/** The TurnFailed reason of a turn a daemon restart cut short. */
export const interruptedReason = "Interrupted";

/** The output (and error) of a tool call a daemon restart cut short. */
export const interruptedToolOutput = "interrupted: the daemon stopped while this tool call ran; it was not run again";

/** What recovery did, for the log and tests. */
export interface RecoveryReport {
  /** Turns whose recorded closing event was written again. */
  readonly rewrittenEnds: number[];
  /** Turns closed as interrupted. */
  readonly interrupted: number[];
}

/** Repairs what a crash left half-done; see the file comment. */
export async function recoverTurns(conversation: ConversationLog, outbox: Outbox, sink: EventSink, log: Logger): Promise<RecoveryReport> {
  const report: RecoveryReport = { rewrittenEnds: [], interrupted: [] };
  const written = outbox.lastSeq;
  const unwritten = conversation.entries
    .flatMap((entry) => ((entry.kind === "ended" || entry.kind === "tool_result") && entry.seq && entry.event && BigInt(entry.seq) > written ? [entry] : []))
    .sort((a, b) => (BigInt(a.seq ?? "0") < BigInt(b.seq ?? "0") ? -1 : 1));
  for (const entry of unwritten) {
    const event = fromBinary(SessionEventSchema, Buffer.from(entry.event ?? "", "base64"));
    const seq = await outbox.append({ case: "event", value: event });
    if (seq !== BigInt(entry.seq ?? "0")) log.warn({ turn: entry.turn, recorded: entry.seq, written: seq.toString() }, "recorded event written under another seq");
    if (entry.kind === "ended") report.rewrittenEnds.push(entry.turn);
  }
  for (const record of conversation.turns()) {
    if (record.ended || !record.started) continue;
    const began = record.started.seq === undefined || BigInt(record.started.seq) <= written;
    if (!began) continue;
    for (const call of conversation.toolCalls(record.turn)) {
      const callStarted = call.seq === undefined || BigInt(call.seq) <= written;
      if (!callStarted || conversation.toolResult(record.turn, call.callId)) continue;
      await sink.emit(
        {
          agent: call.agent,
          turn: record.turn,
          payload: {
            case: "toolCallCompleted",
            value: create(ToolCallCompletedSchema, {
              toolCallId: call.callId,
              tool: call.name,
              status: ToolCallStatus.FAILED,
              output: interruptedToolOutput,
              error: interruptedToolOutput,
              duration: durationFromMs(0),
            }),
          },
        },
        (seq, event) =>
          conversation.append({
            kind: "tool_result",
            turn: record.turn,
            agent: call.agent,
            callId: call.callId,
            name: call.name,
            outcome: "failed",
            output: interruptedToolOutput,
            truncated: false,
            durationMs: 0,
            seq: seq.toString(),
            event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
            at: new Date().toISOString(),
          }),
      );
      log.warn({ turn: record.turn, callId: call.callId, tool: call.name }, "tool call interrupted by a restart; reported failed, not run again");
    }
    await sink.emit(
      {
        agent: record.started.agent,
        turn: record.turn,
        payload: {
          case: "turnFailed",
          value: create(TurnFailedSchema, {
            reason: interruptedReason,
            message: "the daemon stopped during this turn (crash or kill); its reply is incomplete",
            usage: create(UsageSchema),
          }),
        },
      },
      (seq, event) =>
        conversation.append({
          kind: "ended",
          turn: record.turn,
          agent: record.started?.agent ?? "",
          outcome: "failed",
          text: "",
          reason: interruptedReason,
          seq: seq.toString(),
          event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
          at: new Date().toISOString(),
        }),
    );
    report.interrupted.push(record.turn);
  }
  if (report.rewrittenEnds.length > 0 || report.interrupted.length > 0) log.warn({ ...report }, "recovered turns a crash cut short");
  return report;
}
