/**
 * Each replica's webhook dispatcher: woken by NOTIFY when deliveries are queued (and by its own
 * timer, for retries and lost hints), it claims due deliveries, checks again that the webhook's
 * owner may watch the session, signs with every live secret and POSTs, then records the attempt
 * and succeeds, reschedules with exponential backoff, gives up past the retry window (disabling
 * the webhook) or, on 410 Gone, disables the webhook at once.
 */
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { implicitGroups, type Authorizer } from "../rbac/authorizer.js";
import { readEvents } from "../sessions/event-log.js";
import { channels, type Notifier } from "../sessions/notifier.js";
import type { Orm } from "../store/orm.js";
import type { ServiceAccountStore } from "../store/service-accounts.js";
import { deliveryBody } from "./delivery-body.js";
import type { AttemptRecord, ClaimedDelivery, DeliveryOutcome, DeliveryStore } from "./delivery-store.js";
import { postWebhook } from "./post-webhook.js";
import type { AddressCheck } from "./target-policy.js";
import type { WebhookStore } from "./webhook-store.js";

/** Delivery settings (RAWORC_WEBHOOKS_*). */
export interface WebhookSettings {
  /** Whether loopback and private receivers are allowed. */
  readonly allowPrivate: boolean;
  /** One attempt's time limit when the webhook sets none. */
  readonly timeoutMs: number;
  /** How long a delivery is retried before it fails and disables its webhook. */
  readonly retryWindowMs: number;
  /** The first retry's delay; each later one doubles, up to backoffMaxMs. */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  /** Attempts one replica makes at once. */
  readonly concurrency: number;
}

/** The defaults: 15 s attempts, a day of retries from 5 s doubling to an hour, 16 at once. */
export const defaultWebhookSettings: WebhookSettings = {
  allowPrivate: false,
  timeoutMs: 15_000,
  retryWindowMs: 24 * 3600_000,
  backoffInitialMs: 5000,
  backoffMaxMs: 3600_000,
  concurrency: 16,
};

/** What the dispatcher works with. */
export interface DispatcherOptions {
  readonly orm: Orm;
  readonly webhooks: WebhookStore;
  readonly deliveries: DeliveryStore;
  readonly accounts: ServiceAccountStore;
  readonly authorizer: Authorizer;
  readonly notifier: Notifier;
  readonly logger: Logger;
  /** This replica's lease owner name. */
  readonly replicaId: string;
  /** Which addresses may be connected to (the egress address policy). */
  readonly checkAddress: AddressCheck;
  readonly settings: WebhookSettings;
  /** The fallback wake-up for retries and lost hints (default 1 s). */
  readonly pollMs?: number;
}

/** The delay before retry number `attempt` + 1: exponential from the initial delay, capped, ±20% jitter. */
export function retryDelayMs(attempt: number, settings: Pick<WebhookSettings, "backoffInitialMs" | "backoffMaxMs">): number {
  const base = Math.min(settings.backoffInitialMs * 2 ** Math.min(attempt - 1, 40), settings.backoffMaxMs);
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}

/** Claims and delivers webhook deliveries until stopped. */
export class WebhookDispatcher {
  private readonly inFlight = new Set<Promise<void>>();
  private pumping = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: DispatcherOptions) {}

  /** Starts listening for queued deliveries and delivers what is already due. */
  start(): void {
    this.unsubscribe = this.options.notifier.subscribe(channels.webhookDeliveries, () => void this.pump());
    this.timer = setInterval(() => void this.pump(), this.options.pollMs ?? 1000);
    void this.pump();
  }

  /** Stops claiming and waits for attempts in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await Promise.allSettled([...this.inFlight]);
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.stopped) {
          const room = this.options.settings.concurrency - this.inFlight.size;
          if (room <= 0) break;
          const claimed = await this.options.deliveries.claim(this.options.replicaId, room, this.options.settings.timeoutMs);
          for (const delivery of claimed) {
            const running: Promise<void> = this.deliver(delivery)
              .catch((err: unknown) => this.options.logger.warn({ err, delivery: delivery.id }, "webhook delivery could not be recorded; its lease will expire and it will be retried"))
              .finally(() => {
                this.inFlight.delete(running);
                void this.pump();
              });
            this.inFlight.add(running);
          }
          if (claimed.length < room) break;
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.options.logger.warn({ err }, "claiming webhook deliveries failed; retrying on the next wake-up");
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const { deliveries, webhooks, replicaId } = this.options;
    const skip = (message: string) => deliveries.finish(d, replicaId, undefined, { state: "skipped", message });
    const forbidden = await this.ownerCannotWatch(d);
    if (forbidden) return skip(forbidden);
    const [event] = await readEvents(this.options.orm.em.fork(), d.sessionId, d.eventSeq - 1n, 1);
    if (!event || event.seq !== d.eventSeq) return skip("the event no longer exists (its session or namespace was deleted)");
    let secrets: string[];
    try {
      secrets = await webhooks.signingSecrets(d.webhookId);
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) return; // deleted with its deliveries
      throw error;
    }
    const body = deliveryBody(d.eventType, { namespace: d.sessionNamespace, name: d.sessionName, uid: d.sessionId }, event);
    const startedAt = new Date();
    const signature = secrets.map((secret) => new StandardWebhook(secret).sign(d.messageId, startedAt, body)).join(" ");
    const headers = { "webhook-id": d.messageId, "webhook-timestamp": String(Math.floor(startedAt.getTime() / 1000)), "webhook-signature": signature };
    const timeoutMs = d.timeoutMs > 0 ? d.timeoutMs : this.options.settings.timeoutMs;
    const result = await postWebhook(d.url, headers, body, { timeoutMs, checkAddress: this.options.checkAddress });
    const attempt: AttemptRecord = { startedAt, durationMs: Date.now() - startedAt.getTime(), statusCode: result.status, error: result.error, responseBody: result.body };
    const ok = result.error === "" && result.status >= 200 && result.status < 300;
    const failure = ok ? undefined : result.error || `HTTP ${result.status}`;
    await webhooks.recordOutcome(d.webhookId, failure);
    await deliveries.finish(d, replicaId, attempt, this.outcomeOf(d, result.status, failure));
    if (result.status === 410 && !result.error) {
      await webhooks.disable(d.webhookId, "Gone", `${d.url} answered 410 Gone`);
    } else if (failure !== undefined && this.windowPassed(d)) {
      await webhooks.disable(d.webhookId, "RetriesExhausted", `a delivery failed for ${formatWindow(this.options.settings.retryWindowMs)}; last error: ${failure}`);
    }
  }

  private outcomeOf(d: ClaimedDelivery, status: number, failure: string | undefined): DeliveryOutcome {
    if (failure === undefined) return { state: "succeeded", message: "" };
    if (status === 410) return { state: "failed", message: "the endpoint answered 410 Gone; the webhook is disabled" };
    if (this.windowPassed(d)) return { state: "failed", message: `gave up after ${d.attempt} attempts: ${failure}` };
    const deadline = d.createdAt.getTime() + this.options.settings.retryWindowMs;
    const next = Math.min(Date.now() + retryDelayMs(d.attempt, this.options.settings), deadline);
    return { state: "pending", message: failure, nextAttemptAt: new Date(next) };
  }

  private windowPassed(d: ClaimedDelivery): boolean {
    return Date.now() >= d.createdAt.getTime() + this.options.settings.retryWindowMs;
  }

  /** Why the owner may not see the event (deleted or deactivated, or no watch on the session's events), or undefined when it may. */
  private async ownerCannotWatch(d: ClaimedDelivery): Promise<string | undefined> {
    const account = d.owner.uid ? await this.options.accounts.findStanding(d.owner.uid) : null;
    const who = `${d.owner.namespace ? `${d.owner.namespace}/` : ""}${d.owner.name ?? "?"}`;
    if (!account || !account.active) return `the webhook's owner "${who}" no longer exists or is deactivated`;
    const subject = { kind: "ServiceAccount" as const, namespace: account.namespace, name: account.name, groups: implicitGroups(account), rbacVersion: account.rbacVersion };
    const allowed = await this.options.authorizer.allows(subject, { group: "core", resource: "sessions", subresource: "events", verb: "watch", namespace: d.sessionNamespace, name: d.sessionName });
    return allowed ? undefined : `the webhook's owner "${who}" may not watch the events of session "${d.sessionNamespace}/${d.sessionName}"`;
  }
}

function formatWindow(ms: number): string {
  return ms % 3600_000 === 0 ? `${ms / 3600_000} h` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
