/**
 * Where the daemon's session events go: each becomes a SessionEvent (time, agent, turn) written
 * to the outbox under the next daemon seq, from which the attach channel sends it.
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

/** Accepts session events durably. */
export interface EventSink {
  /**
   * Writes the event to the outbox and returns its daemon seq; `before` runs once the seq is
   * assigned and before the event is written (to record the seq elsewhere first).
   */
  emit(draft: EventDraft, before?: (seq: bigint, event: SessionEvent) => Promise<void>): Promise<bigint>;
}

/** Builds the SessionEvent for a draft, stamped with the current time. */
export function sessionEvent(draft: EventDraft): SessionEvent {
  return create(SessionEventSchema, { time: timestampNow(), agent: draft.agent, turn: draft.turn, payload: draft.payload });
}

/** An EventSink that writes to `outbox`. */
export function outboxEventSink(outbox: Outbox): EventSink {
  return {
    emit(draft, before) {
      const event = sessionEvent(draft);
      return outbox.append({ case: "event", value: event }, before ? (seq) => before(seq, event) : undefined);
    },
  };
}
