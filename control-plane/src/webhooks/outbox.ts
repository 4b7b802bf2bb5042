/**
 * The webhook outbox's only writer on the event path: called in the transaction that stores a
 * session's events, it queues one delivery per (event, matching webhook), so a delivery exists
 * exactly when its event committed. Events no webhook can ask for (text deltas, logs, usage,
 * tool calls) cost nothing here; the others cost one indexed read of the namespace's webhooks.
 */
import type { EntityManager } from "@mikro-orm/postgresql";
import { channels, notifySql } from "../sessions/notifier.js";
import { labelsMatch, parseLabelSelector } from "../store/label-selector.js";
import { eventTypeSelected, webhookEventType } from "./event-types.js";

/** A just-stored event: its seq and kind (payload case). */
export interface OutboxEvent {
  readonly seq: bigint;
  readonly kind: string;
}

/** The session the events belong to. */
export interface OutboxSession {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

const columns = 12;
// Postgres allows 65,535 parameters per statement.
const maxRowsPerInsert = Math.floor(65_535 / columns);

/** Queues deliveries of the events to the namespace's enabled webhooks that want them, inside the caller's transaction. */
export async function enqueueWebhookDeliveries(em: EntityManager, session: OutboxSession, events: readonly OutboxEvent[]): Promise<void> {
  const typed = events.flatMap((e) => {
    const type = webhookEventType(e.kind);
    return type ? [{ seq: e.seq, type }] : [];
  });
  if (typed.length === 0) return;
  const hooks = await em.execute<{ id: string; event_types: string[]; session_selector: string }[]>(
    `select id, event_types, session_selector from webhooks where namespace = ? and not disabled`,
    [session.namespace],
  );
  const rows: unknown[][] = [];
  for (const hook of hooks) {
    if (!selectsSession(hook.session_selector, session.labels)) continue;
    for (const event of typed) {
      if (!eventTypeSelected(hook.event_types, event.type)) continue;
      const id = crypto.randomUUID();
      rows.push([id, hook.id, `msg_${id.replaceAll("-", "")}`, session.id, session.namespace, session.name, event.seq.toString(), event.type, "pending", "", 0, null]);
    }
  }
  if (rows.length === 0) return;
  for (let i = 0; i < rows.length; i += maxRowsPerInsert) {
    const chunk = rows.slice(i, i + maxRowsPerInsert);
    await em.execute(
      `insert into webhook_deliveries (id, webhook_id, message_id, session_id, session_namespace, session_name, event_seq, event_type, state, message, attempts, replay_of, next_attempt_at, created_at)
       values ${chunk.map(() => "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now())").join(", ")}`,
      chunk.flat(),
    );
  }
  await em.execute(notifySql(channels.webhookDeliveries), [session.namespace]);
}

function selectsSession(selector: string, labels: Readonly<Record<string, string>>): boolean {
  if (selector === "") return true;
  try {
    return labelsMatch(parseLabelSelector(selector), labels);
  } catch {
    // Checked when the webhook was written; a selector this server cannot parse selects nothing.
    return false;
  }
}
