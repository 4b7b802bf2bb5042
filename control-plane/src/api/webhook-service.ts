/** WebhookService: CRUD of webhooks, secret rotation, and their deliveries (list, replay). */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import {
  WebhookDeliverySchema,
  WebhookDeliveryState,
  WebhookSchema,
  type Webhook,
  type WebhookDelivery,
  type WebhookService,
} from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { kCaller, kListScope } from "../context.js";
import type { WebhookRow } from "../store/entities/webhook.js";
import { parseLabelSelector } from "../store/label-selector.js";
import type { DeliveryState, DeliveryStore, DeliveryView } from "../webhooks/delivery-store.js";
import { checkEventTypePatterns } from "../webhooks/event-types.js";
import type { AddressCheck } from "../webhooks/target-policy.js";
import type { StoredOwner, WebhookFields, WebhookStore } from "../webhooks/webhook-store.js";
import { parseResourceVersion, requireNamed, toObjectMeta } from "./object-meta.js";

/** What the WebhookService needs. */
export interface WebhookServiceOptions {
  readonly webhooks: WebhookStore;
  readonly deliveries: DeliveryStore;
  /** The delivery address policy, applied to URLs whose host is an address. */
  readonly checkAddress: AddressCheck;
  /** Whether loopback names (localhost) are allowed, as RAWORC_WEBHOOKS_ALLOW_PRIVATE allows loopback addresses. */
  readonly allowPrivate: boolean;
}

const defaultGraceMs = 24 * 3600_000;

const stateNames: Record<DeliveryState, WebhookDeliveryState> = {
  pending: WebhookDeliveryState.PENDING,
  succeeded: WebhookDeliveryState.SUCCEEDED,
  failed: WebhookDeliveryState.FAILED,
  cancelled: WebhookDeliveryState.CANCELLED,
  skipped: WebhookDeliveryState.SKIPPED,
};

/** The API form of a stored webhook (never its secrets). */
export function toWebhook(row: WebhookRow): Webhook {
  const at = (d: Date | null | undefined) => (d ? timestampFromDate(d) : undefined);
  return create(WebhookSchema, {
    metadata: toObjectMeta(row),
    spec: {
      url: row.url,
      eventTypes: [...row.eventTypes],
      sessionSelector: row.sessionSelector,
      disabled: row.disabled,
      timeout: row.timeoutMs > 0 ? durationFromMs(row.timeoutMs) : undefined,
    },
    status: {
      owner: { kind: row.owner.kind ?? "", namespace: row.owner.namespace ?? "", name: row.owner.name ?? "", uid: row.owner.uid ?? "" },
      disabledReason: row.disabledReason,
      disabledMessage: row.disabledMessage,
      secretCreatedAt: at(row.secretCreatedAt),
      previousSecretExpiresAt: row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > Date.now() ? at(row.previousSecretExpiresAt) : undefined,
      lastSuccessAt: at(row.lastSuccessAt),
      lastFailureAt: at(row.lastFailureAt),
      lastFailure: row.lastFailure,
    },
  });
}

/** The API form of a delivery with its attempts. */
export function toDelivery(view: DeliveryView): WebhookDelivery {
  return create(WebhookDeliverySchema, {
    id: view.id,
    messageId: view.messageId,
    eventType: view.eventType,
    session: { namespace: view.sessionNamespace, name: view.sessionName },
    sessionId: view.sessionId,
    eventSeq: view.eventSeq,
    state: stateNames[view.state],
    message: view.message,
    createdAt: timestampFromDate(view.createdAt),
    nextAttemptAt: view.state === "pending" ? timestampFromDate(view.nextAttemptAt) : undefined,
    replayOf: view.replayOf ?? "",
    attempts: view.attempts.map((a) => ({
      number: a.number,
      startedAt: timestampFromDate(a.startedAt),
      duration: durationFromMs(a.durationMs),
      statusCode: a.statusCode,
      error: a.error,
      responseBody: a.responseBody,
    })),
  });
}

function refOf(ref: ObjectRef | undefined): { namespace: string; name: string } {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

function ownerOf(ctx: HandlerContext): StoredOwner {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw new ConnectError("authentication required", Code.Unauthenticated);
  return { kind: caller.kind, namespace: caller.namespace, name: caller.name, uid: caller.uid };
}

function invalid(message: string): ConnectError {
  return new ConnectError(message, Code.InvalidArgument);
}

/** Checks a target URL: http(s), no credentials, and a host the address policy allows when it is an address. */
export function checkTargetUrl(raw: string, checkAddress: AddressCheck, allowPrivate: boolean): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid("webhook.spec.url: not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalid("webhook.spec.url: must be an http:// or https:// URL");
  if (url.username || url.password) throw invalid("webhook.spec.url: must not carry credentials; check the signature instead");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const why = /^[\d.]+$|:/.test(host) ? checkAddress(host) : undefined;
  if (why) throw invalid(`webhook.spec.url: ${why}`);
  if (!allowPrivate && (host === "localhost" || host.endsWith(".localhost"))) {
    throw invalid("webhook.spec.url: localhost is a loopback address; set RAWORC_WEBHOOKS_ALLOW_PRIVATE=1 to allow such receivers");
  }
}

/** Creates the WebhookService implementation. */
export function createWebhookService(options: WebhookServiceOptions): ServiceImpl<typeof WebhookService> {
  const { webhooks, deliveries } = options;

  const fieldsOf = (webhook: Webhook): WebhookFields => {
    const spec = webhook.spec;
    if (!spec) throw invalid("webhook.spec is required");
    checkTargetUrl(spec.url, options.checkAddress, options.allowPrivate);
    checkEventTypePatterns(spec.eventTypes);
    try {
      parseLabelSelector(spec.sessionSelector);
    } catch (error) {
      throw invalid(`webhook.spec.session_selector: ${(error as Error).message.replace(/^\[\w+\] /, "")}`);
    }
    return {
      url: spec.url,
      eventTypes: spec.eventTypes,
      sessionSelector: spec.sessionSelector,
      disabled: spec.disabled,
      timeoutMs: spec.timeout ? Math.round(durationMs(spec.timeout)) : 0,
      labels: { ...webhook.metadata?.labels },
      annotations: { ...webhook.metadata?.annotations },
    };
  };

  return {
    async createWebhook(req, ctx) {
      const webhook = req.webhook!;
      const meta = requireNamed(webhook.metadata, "webhook.metadata");
      const { row, secret } = await webhooks.create(meta, fieldsOf(webhook), ownerOf(ctx));
      return { webhook: toWebhook(row), signingSecret: secret };
    },
    async getWebhook(req) {
      return { webhook: toWebhook(await webhooks.get(refOf(req.ref))) };
    },
    async listWebhooks(req, ctx) {
      const scope = ctx.values.get(kListScope);
      const page = await webhooks.list({
        namespace: req.namespace || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { webhooks: page.items.map(toWebhook), nextPageToken: page.nextPageToken };
    },
    async updateWebhook(req, ctx) {
      const webhook = req.webhook!;
      const meta = requireNamed(webhook.metadata, "webhook.metadata");
      return { webhook: toWebhook(await webhooks.update(meta, parseResourceVersion(meta.resourceVersion), fieldsOf(webhook), ownerOf(ctx))) };
    },
    async deleteWebhook(req) {
      await webhooks.delete(refOf(req.ref));
      return {};
    },
    async rotateWebhookSecret(req) {
      const graceMs = req.gracePeriod ? Math.round(durationMs(req.gracePeriod)) : defaultGraceMs;
      const { row, secret } = await webhooks.rotate(refOf(req.ref), graceMs);
      return { webhook: toWebhook(row), signingSecret: secret };
    },
    async listWebhookDeliveries(req) {
      const row = await webhooks.get(refOf(req.ref));
      const state = (Object.entries(stateNames).find(([, v]) => v === req.state)?.[0] as DeliveryState | undefined) ?? undefined;
      const page = await deliveries.list(row.id, { ...(state ? { state } : {}), pageSize: req.pageSize, pageToken: req.pageToken });
      return { deliveries: page.items.map(toDelivery), nextPageToken: page.nextPageToken };
    },
    async replayWebhookDelivery(req) {
      const row = await webhooks.get(refOf(req.ref));
      if (row.disabled) throw new ConnectError(`Webhook "${row.namespace}/${row.name}" is disabled (${row.disabledReason}); enable it before replaying`, Code.FailedPrecondition);
      return { delivery: toDelivery(await deliveries.replay(row.id, req.deliveryId)) };
    },
  };
}
