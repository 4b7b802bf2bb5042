/**
 * The webhook outbox's reads and writes after enqueue: replicas claim due deliveries with
 * FOR UPDATE SKIP LOCKED and a lease (so each attempt is made by one replica, and a replica
 * that dies mid-attempt leaves the delivery to another once its lease ends), record attempts,
 * finish or reschedule deliveries, list them and queue replays.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { channels, notifySql } from "../sessions/notifier.js";
import type { Orm } from "../store/orm.js";
import { decodePageToken, encodePageToken } from "../store/page-token.js";

/** Where a delivery stands (stored in the state column). */
export type DeliveryState = "pending" | "succeeded" | "failed" | "cancelled" | "skipped";

/** A delivery a replica has claimed for one attempt. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly webhookId: string;
  readonly messageId: string;
  readonly sessionId: string;
  readonly sessionNamespace: string;
  readonly sessionName: string;
  readonly eventSeq: bigint;
  readonly eventType: string;
  /** The number of this attempt, from 1. */
  readonly attempt: number;
  readonly createdAt: Date;
  readonly url: string;
  /** 0 = the server's default. */
  readonly timeoutMs: number;
  readonly owner: Record<string, string>;
}

/** What one HTTP attempt did. */
export interface AttemptRecord {
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly statusCode: number;
  readonly error: string;
  readonly responseBody: string;
}

/** What happens to a delivery after an attempt. */
export type DeliveryOutcome =
  | { readonly state: "succeeded" | "failed" | "skipped"; readonly message: string }
  | { readonly state: "pending"; readonly message: string; readonly nextAttemptAt: Date };

/** A stored delivery with its attempts, as listed. */
export interface DeliveryView {
  readonly id: string;
  readonly messageId: string;
  readonly sessionId: string;
  readonly sessionNamespace: string;
  readonly sessionName: string;
  readonly eventSeq: bigint;
  readonly eventType: string;
  readonly state: DeliveryState;
  readonly message: string;
  readonly createdAt: Date;
  readonly nextAttemptAt: Date;
  readonly replayOf: string | null;
  readonly attempts: (AttemptRecord & { number: number })[];
}

interface DeliveryRow {
  id: string;
  message_id: string;
  session_id: string;
  session_namespace: string;
  session_name: string;
  event_seq: string;
  event_type: string;
  state: DeliveryState;
  message: string;
  created_at: Date;
  next_attempt_at: Date;
  replay_of: string | null;
}

/** Time a lease adds beyond the attempt's own timeout, for recording its outcome. */
const leaseMarginMs = 5000;

/** Delivery persistence over the shared pool. */
export class DeliveryStore {
  constructor(private readonly orm: Orm) {}

  /** Claims up to `limit` due deliveries of enabled webhooks for one attempt each, leased to `owner`. */
  async claim(owner: string, limit: number, defaultTimeoutMs: number): Promise<ClaimedDelivery[]> {
    const rows = await this.orm.em.getConnection().execute<
      { id: string; webhook_id: string; message_id: string; session_id: string; session_namespace: string; session_name: string; event_seq: string; event_type: string; attempts: number; created_at: Date; url: string; timeout_ms: number; owner: Record<string, string> }[]
    >(
      `with due as (
         select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id
          where d.state = 'pending' and d.next_attempt_at <= now() and (d.lease_until is null or d.lease_until < now()) and not w.disabled
          order by d.next_attempt_at limit ? for update of d skip locked)
       update webhook_deliveries d
          set lease_owner = ?, attempts = d.attempts + 1,
              lease_until = now() + make_interval(secs => ((case when w.timeout_ms > 0 then w.timeout_ms else ? end) + ?) / 1000.0)
         from due, webhooks w
        where d.id = due.id and w.id = d.webhook_id
       returning d.id, d.webhook_id, d.message_id, d.session_id, d.session_namespace, d.session_name, d.event_seq, d.event_type, d.attempts, d.created_at, w.url, w.timeout_ms, w.owner`,
      [limit, owner, defaultTimeoutMs, leaseMarginMs],
    );
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      messageId: r.message_id,
      sessionId: r.session_id,
      sessionNamespace: r.session_namespace,
      sessionName: r.session_name,
      eventSeq: BigInt(r.event_seq),
      eventType: r.event_type,
      attempt: r.attempts,
      createdAt: new Date(r.created_at),
      url: r.url,
      timeoutMs: r.timeout_ms,
      owner: r.owner,
    }));
  }

  /** Records an attempt (if one was made) and the delivery's outcome, unless the lease passed to another replica meanwhile. */
  async finish(claimed: ClaimedDelivery, owner: string, attempt: AttemptRecord | undefined, outcome: DeliveryOutcome): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      const updated = await em.execute<{ id: string }[]>(
        `update webhook_deliveries
            set state = ?, message = ?, next_attempt_at = coalesce(?, next_attempt_at), lease_owner = null, lease_until = null,
                completed_at = case when ? = 'pending' then null else now() end
          where id = ? and lease_owner = ? and attempts = ? returning id`,
        [outcome.state, outcome.message.slice(0, 4096), outcome.state === "pending" ? outcome.nextAttemptAt : null, outcome.state, claimed.id, owner, claimed.attempt],
      );
      if (updated.length === 0 || !attempt) return;
      await em.execute(
        `insert into webhook_attempts (delivery_id, number, started_at, duration_ms, status_code, error, response_body) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
        [claimed.id, claimed.attempt, attempt.startedAt, attempt.durationMs, attempt.statusCode, attempt.error.slice(0, 4096), attempt.responseBody],
      );
    });
  }

  /** One page of a webhook's deliveries, newest first, with their attempts. */
  async list(webhookId: string, query: { state?: DeliveryState; pageSize: number; pageToken: string }): Promise<{ items: DeliveryView[]; nextPageToken: string }> {
    const size = query.pageSize <= 0 ? 50 : Math.min(query.pageSize, 500);
    const after = decodePageToken(query.pageToken, 2);
    const conn = this.orm.em.getConnection();
    const params: unknown[] = [webhookId];
    let where = "webhook_id = ?";
    if (query.state) {
      where += " and state = ?";
      params.push(query.state);
    }
    if (after) {
      where += " and (created_at, id) < (?::timestamptz, ?::uuid)";
      params.push(...after);
    }
    const rows = await conn.execute<DeliveryRow[]>(
      `select id, message_id, session_id, session_namespace, session_name, event_seq, event_type, state, message, created_at, next_attempt_at, replay_of
         from webhook_deliveries where ${where} order by created_at desc, id desc limit ?`,
      [...params, size + 1],
    );
    const page = rows.slice(0, size);
    const attempts = page.length
      ? await conn.execute<{ delivery_id: string; number: number; started_at: Date; duration_ms: number; status_code: number; error: string; response_body: string }[]>(
          `select delivery_id, number, started_at, duration_ms, status_code, error, response_body from webhook_attempts
            where delivery_id in (${page.map(() => "?").join(", ")}) order by delivery_id, number`,
          page.map((r) => r.id),
        )
      : [];
    const items = page.map((r) => ({
      ...viewOf(r),
      attempts: attempts
        .filter((a) => a.delivery_id === r.id)
        .map((a) => ({ number: a.number, startedAt: new Date(a.started_at), durationMs: a.duration_ms, statusCode: a.status_code, error: a.error, responseBody: a.response_body })),
    }));
    const last = page.at(-1);
    return { items, nextPageToken: rows.length > size && last ? encodePageToken([new Date(last.created_at).toISOString(), last.id]) : "" };
  }

  /** Queues a new delivery of the same event with the same webhook-id; NOT_FOUND when the webhook has no such delivery. */
  async replay(webhookId: string, deliveryId: string): Promise<DeliveryView> {
    return this.orm.em.fork().transactional(async (em: EntityManager) => {
      const id = crypto.randomUUID();
      const rows = await em.execute<DeliveryRow[]>(
        `insert into webhook_deliveries (id, webhook_id, message_id, session_id, session_namespace, session_name, event_seq, event_type, state, message, attempts, replay_of, next_attempt_at, created_at)
         select ?, webhook_id, message_id, session_id, session_namespace, session_name, event_seq, event_type, 'pending', '', 0, id, now(), now()
           from webhook_deliveries where id = ? and webhook_id = ?
         returning id, message_id, session_id, session_namespace, session_name, event_seq, event_type, state, message, created_at, next_attempt_at, replay_of`,
        [id, deliveryId, webhookId],
      );
      const row = rows[0];
      if (!row) throw new ConnectError(`the webhook has no delivery "${deliveryId}"`, Code.NotFound);
      await em.execute(notifySql(channels.webhookDeliveries), [row.session_namespace]);
      return { ...viewOf(row), attempts: [] };
    });
  }
}

function viewOf(r: DeliveryRow): Omit<DeliveryView, "attempts"> {
  return {
    id: r.id,
    messageId: r.message_id,
    sessionId: r.session_id,
    sessionNamespace: r.session_namespace,
    sessionName: r.session_name,
    eventSeq: BigInt(r.event_seq),
    eventType: r.event_type,
    state: r.state,
    message: r.message,
    createdAt: new Date(r.created_at),
    nextAttemptAt: new Date(r.next_attempt_at),
    replayOf: r.replay_of,
  };
}
