/** The JSON body of a delivery, in the Standard Webhooks shape: {type, timestamp, data}, data in the API's JSON form. */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** The session an event belongs to. */
export interface BodySession {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

/**
 * The body for one event: `timestamp` is when the event happened, so every attempt and replay
 * of a delivery sends the same bytes (only the webhook-timestamp header moves).
 */
export function deliveryBody(type: string, session: BodySession, event: SessionEvent): string {
  const time = event.time ? timestampDate(event.time) : new Date(0);
  return JSON.stringify({
    type,
    timestamp: time.toISOString(),
    data: { session: { namespace: session.namespace, name: session.name, uid: session.uid }, event: toJson(SessionEventSchema, event) },
  });
}
