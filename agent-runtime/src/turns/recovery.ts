/**
 * Crash recovery at start-up, before the daemon says Hello. The conversation log records each
 * turn's start and end under the daemon seq of their events before those events are written, so
 * comparing with the outbox's highest written seq tells what a crash cut short:
 *
 * - an end recorded but its event never written: the recorded event is written now;
 * - a start recorded but its TurnStarted never written: the turn never began and simply runs;
 * - a turn that began but never ended: its reply was cut short, so it is closed with
 *   TurnFailed (reason Interrupted) — replaying it would show the user a second, different reply.
 */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { SessionEventSchema, TurnFailedSchema, UsageSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import type { Outbox } from "../channel/outbox.js";
import type { Logger } from "../logger.js";
import type { ConversationLog } from "../state/conversation-log.js";

/** The TurnFailed reason of a turn a daemon restart cut short. */
export const interruptedReason = "Interrupted";

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
  for (const record of conversation.turns()) {
    const ended = record.ended;
    if (!ended?.seq || BigInt(ended.seq) <= written) continue;
    if (!ended.event) continue;
    const event = fromBinary(SessionEventSchema, Buffer.from(ended.event, "base64"));
    const seq = await outbox.append({ case: "event", value: event });
    if (seq !== BigInt(ended.seq)) log.warn({ turn: record.turn, recorded: ended.seq, written: seq.toString() }, "closing event written under another seq");
    report.rewrittenEnds.push(record.turn);
  }
  for (const record of conversation.turns()) {
    if (record.ended || !record.started) continue;
    const began = record.started.seq === undefined || BigInt(record.started.seq) <= written;
    if (!began) continue;
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
