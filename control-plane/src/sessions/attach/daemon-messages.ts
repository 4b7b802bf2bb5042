/**
 * What a daemon may send after Hello, checked before anything is stored, and how its
 * sequenced messages (events and turn checkpoints) are stored: in order, each once, gapless.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { AttachRequest, TurnCheckpoint } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { SessionRow } from "../../store/entities/session.js";
import { appendDaemonEvents } from "../event-log.js";
import { storeCheckpoint } from "../session-checkpoints.js";
import { auditGuardrailDecisions } from "./guardrail-audit.js";

/** A daemon message that carries a seq and must be stored. */
export type SequencedMessage =
  | { readonly seq: bigint; readonly kind: "event"; readonly event: SessionEvent }
  | { readonly seq: bigint; readonly kind: "checkpoint"; readonly checkpoint: TurnCheckpoint };

// Only the control plane writes these: a user message comes through SendMessage, a state change through the machine.
const controlPlaneOnly = new Set<SessionEvent["payload"]["case"]>(["userMessage", "stateChanged"]);

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

/** Checks one message after Hello; returns it as a sequenced message when it must be stored. INVALID_ARGUMENT otherwise. */
export function checkDaemonMessage(request: AttachRequest): SequencedMessage | undefined {
  const { payload, seq } = request;
  switch (payload.case) {
    case "event":
    case "checkpoint":
      if (seq === 0n) throw invalid(`a daemon ${payload.case} needs a seq > 0`);
      if (payload.case === "checkpoint") return { seq, kind: "checkpoint", checkpoint: payload.value };
      if (controlPlaneOnly.has(payload.value.payload.case)) throw invalid(`a daemon may not send ${payload.value.payload.case} events`);
      if (payload.value.payload.case === undefined) throw invalid("an event needs a payload");
      return { seq, kind: "event", event: payload.value };
    case "hello":
      throw invalid("Hello must come first, and only once");
    case "ready":
    case "heartbeat":
    case "traceSpans":
    case "goodbye":
      if (seq !== 0n) throw invalid(`${payload.case} carries seq 0, not ${seq}`);
      return undefined;
    default:
      throw invalid("an attach message needs a payload");
  }
}

/**
 * Stores sequenced messages on a locked session, in order: events through the event log (a
 * resend is skipped), checkpoints in session_checkpoints under their seq. A seq that skips ahead throws
 * INVALID_ARGUMENT and the caller's transaction stores nothing. Guardrail decisions newly stored
 * get their audit rows in the same transaction. Returns the highest daemon seq now committed.
 */
export async function storeSequenced(em: EntityManager, row: SessionRow, messages: readonly SequencedMessage[]): Promise<bigint> {
  let events: { daemonSeq: bigint; event: SessionEvent }[] = [];
  const flushEvents = async () => {
    if (events.length > 0) {
      const before = BigInt(row.lastDaemonSeq);
      await appendDaemonEvents(em, row, events);
      await auditGuardrailDecisions(em, row, events.filter((sent) => sent.daemonSeq > before));
    }
    events = [];
  };
  for (const message of messages) {
    if (message.kind === "event") {
      events.push({ daemonSeq: message.seq, event: message.event });
      continue;
    }
    await flushEvents();
    const last = BigInt(row.lastDaemonSeq);
    if (message.seq <= last) continue;
    if (message.seq !== last + 1n) throw invalid(`daemon checkpoint seq ${message.seq} skips ahead of ${last + 1n}`);
    // Checkpoints share the daemon's seq space with events, so taking the seq keeps it gapless.
    await storeCheckpoint(em, row, message.seq, message.checkpoint);
    row.lastDaemonSeq = message.seq.toString();
  }
  await flushEvents();
  return BigInt(row.lastDaemonSeq);
}
