/** The webhook tables: endpoints, their deliveries (the outbox) and each delivery's attempts. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** MikroORM schema of a webhook row; its signing secrets are stored only encrypted. */
export const WebhookSchema = defineEntity({
  name: "Webhook",
  tableName: "webhooks",
  uniques: [{ properties: ["namespace", "name"] }],
  properties: {
    id: p.uuid().primary(),
    namespace: p.string().length(63),
    name: p.string().length(63),
    url: p.text(),
    eventTypes: p.json<string[]>(),
    sessionSelector: p.string().length(1024),
    disabled: p.boolean(),
    /** 0 = the server's default. */
    timeoutMs: p.integer(),
    disabledReason: p.string().length(32),
    disabledMessage: p.text(),
    /** The Principal (kind, namespace, name, uid) whose access deliveries are limited to. */
    owner: p.json<Record<string, string>>(),
    /** AES-256-GCM ciphertext of {current, previous?}; lazy so reads never load it. */
    secretCiphertext: p.blob().lazy(),
    secretNonce: p.blob().lazy(),
    secretKeyId: p.string().length(32),
    secretCreatedAt: p.datetime(),
    previousSecretExpiresAt: p.datetime().nullable(),
    lastSuccessAt: p.datetime().nullable(),
    lastFailureAt: p.datetime().nullable(),
    lastFailure: p.text(),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** MikroORM schema of one delivery: an event on its way to one webhook, queued with the event. */
export const WebhookDeliverySchema = defineEntity({
  name: "WebhookDelivery",
  tableName: "webhook_deliveries",
  indexes: [{ properties: ["state", "nextAttemptAt"] }, { properties: ["webhook", "createdAt"] }],
  properties: {
    id: p.uuid().primary(),
    /** Deleting a webhook (or its namespace) deletes its deliveries. */
    webhook: () => p.manyToOne(WebhookSchema).ref().deleteRule("cascade"),
    /** The webhook-id header; a replay keeps the original's. */
    messageId: p.string().length(64),
    sessionId: p.uuid(),
    sessionNamespace: p.string().length(63),
    sessionName: p.string().length(63),
    eventSeq: p.bigint("string"),
    eventType: p.string().length(32),
    state: p.string().length(16),
    message: p.text(),
    attempts: p.integer(),
    nextAttemptAt: p.datetime(),
    leaseOwner: p.string().length(128).nullable(),
    leaseUntil: p.datetime().nullable(),
    replayOf: p.uuid().nullable(),
    createdAt: p.datetime(),
    completedAt: p.datetime().nullable(),
  },
});

/** MikroORM schema of one HTTP attempt of a delivery. */
export const WebhookAttemptSchema = defineEntity({
  name: "WebhookAttempt",
  tableName: "webhook_attempts",
  properties: {
    delivery: () => p.manyToOne(WebhookDeliverySchema).ref().primary().deleteRule("cascade"),
    number: p.integer().primary(),
    startedAt: p.datetime(),
    durationMs: p.integer(),
    statusCode: p.integer(),
    error: p.text(),
    responseBody: p.text(),
  },
});

/** A webhook row. */
export type WebhookRow = InferEntity<typeof WebhookSchema>;
