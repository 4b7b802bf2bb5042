/**
 * The event types webhooks can ask for, named after the session events they carry, and the
 * patterns that select them: an exact type, "group.*" or "*".
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** Webhook event type by session event payload; payloads not listed are never delivered (text deltas, logs, usage, tool calls). */
const typeByPayload: Readonly<Partial<Record<NonNullable<SessionEvent["payload"]["case"]>, string>>> = {
  stateChanged: "session.state_changed",
  turnStarted: "turn.started",
  turnCompleted: "turn.completed",
  turnFailed: "turn.failed",
  turnCancelled: "turn.cancelled",
  approvalRequested: "approval.requested",
  approvalResolved: "approval.resolved",
  guardrailDecision: "guardrail.decision",
};

/** Every event type a webhook can receive. */
export const webhookEventTypes: readonly string[] = Object.values(typeByPayload);

/** The webhook event type of a stored event's kind (its payload case), or undefined when such events are not delivered. */
export function webhookEventType(kind: string): string | undefined {
  return (typeByPayload as Record<string, string | undefined>)[kind];
}

/** Whether any of the patterns selects the type. */
export function eventTypeSelected(patterns: readonly string[], type: string): boolean {
  const group = type.slice(0, type.indexOf("."));
  return patterns.some((p) => p === "*" || p === type || p === `${group}.*`);
}

/** Throws INVALID_ARGUMENT naming the first pattern that selects no known type. */
export function checkEventTypePatterns(patterns: readonly string[]): void {
  for (const pattern of patterns) {
    if (!webhookEventTypes.some((type) => eventTypeSelected([pattern], type))) {
      throw new ConnectError(`webhook.spec.event_types: "${pattern}" selects no event type (known: ${webhookEventTypes.join(", ")}, "group.*" or "*")`, Code.InvalidArgument);
    }
  }
}
