/**
 * Where the daemon's session events go: each becomes a SessionEvent (time, agent, turn) written
 * to the outbox under the next daemon seq, from which the attach channel sends it.
 *
 * Durability contract. Turn boundaries — TurnStarted, the closing TurnCompleted, TurnFailed or
 * TurnCancelled, ToolCallCompleted — and every event recorded in the conversation log (an emit
 * with `before`) return only once they and everything before them are durable. Any other event
 * (text deltas, usage, logs) returns once it is staged: the outbox's next group commit makes it
 * durable, and nothing is sent before it is. A crash can therefore lose only the staged tail of
 * a turn that had not ended; recovery closes that turn as TurnFailed (Interrupted), and the
 * conversation log never names a seq that was not written or about to be written in order.
 */
import { create } from "@bufbuild/protobuf";
import { timestampNow } from "@bufbuild/protobuf/wkt";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { Outbox } from "./outbox.js";

/** The payloads a daemon may send; user messages and state changes belong to the control plane. */
export type DaemonEventPayload = Exclude<SessionEvent["payload"], { case: "userMessage" | "stateChanged" | undefined }>;

/** An event to emit. */
export interface EventDraft {
  /** The agent that acted; "" for the daemon itself. */
  readonly agent: string;
  /** The turn, from 1; 0 outside any turn. */
  readonly turn: number;
  readonly payload: DaemonEventPayload;
}

/** Accepts session events; see the file comment for when `emit` returns. */
export interface EventSink {
  /**
   * Writes the event to the outbox and returns its daemon seq; `before` runs once the seq is
   * assigned and everything before it is durable, and before the event is written (to record
   * the seq elsewhere first).
   */
  emit(draft: EventDraft, before?: (seq: bigint, event: SessionEvent) => Promise<void>): Promise<bigint>;
}

/** The events after which a crash must not lose anything: they mark where a turn or a tool call stands. */
const boundaries = new Set<DaemonEventPayload["case"]>(["turnStarted", "turnCompleted", "turnFailed", "turnCancelled", "toolCallCompleted"]);

/** Whether emitting this payload waits until it is durable (a turn boundary); other events return once staged. */
export function waitsForDurability(payload: DaemonEventPayload): boolean {
  return boundaries.has(payload.case);
}

/** Builds the SessionEvent for a draft, stamped with the current time. */
export function sessionEvent(draft: EventDraft): SessionEvent {
  return create(SessionEventSchema, { time: timestampNow(), agent: draft.agent, turn: draft.turn, payload: draft.payload });
}

/** An EventSink that writes to `outbox`: boundaries and logged events durably, the rest staged for the next group commit. */
export function outboxEventSink(outbox: Outbox): EventSink {
  return {
    emit(draft, before) {
      const event = sessionEvent(draft);
      const payload = { case: "event" as const, value: event };
      const record = before ? (seq: bigint) => before(seq, event) : undefined;
      return before || waitsForDurability(draft.payload) ? outbox.append(payload, record) : outbox.stage(payload);
    },
  };
}
