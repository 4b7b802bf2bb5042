/** The Webhook kind: namespaced endpoints that receive the events of their namespace's sessions. */
import { createClient } from "@connectrpc/connect";
import { WebhookSchema, WebhookService, type Webhook } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(WebhookService, conn.transport);

/** Signing secrets the server returned on create, by the object it returned with them: shown once, never stored. */
const secrets = new WeakMap<Webhook, string>();

/** The line that shows a new signing secret once. */
export function secretNotice(secret: string): string {
  return `signing secret (shown once; store it now): ${secret}`;
}

/** Webhooks: `raworc webhooks` (aliases `webhook`, `wh`); tables show the URL, the event types and whether it is enabled. */
export const webhookKind = defineKind<Webhook>({
  kind: "Webhook",
  singular: "webhook",
  plural: "webhooks",
  aliases: ["webhook", "wh"],
  namespaced: "required",
  schema: WebhookSchema,
  columns: ["url", "events", "state"],
  cells: (w) => [w.spec?.url ?? "", (w.spec?.eventTypes ?? []).join(","), w.spec?.disabled ? `Disabled (${w.status?.disabledReason || "Disabled"})` : "Enabled"],
  notice: (w) => {
    const secret = secrets.get(w);
    return secret === undefined ? undefined : secretNotice(secret);
  },
  async create(conn, webhook) {
    const res = await client(conn).createWebhook({ webhook }, { signal: conn.signal });
    const stored = returned(res.webhook, "webhook");
    secrets.set(stored, res.signingSecret);
    return stored;
  },
  async get(conn, ref) {
    return returned((await client(conn).getWebhook({ ref }, { signal: conn.signal })).webhook, "webhook");
  },
  async list(conn, query) {
    const res = await client(conn).listWebhooks(query, { signal: conn.signal });
    return { items: res.webhooks, nextPageToken: res.nextPageToken };
  },
  async update(conn, webhook) {
    return returned((await client(conn).updateWebhook({ webhook }, { signal: conn.signal })).webhook, "webhook");
  },
  async delete(conn, ref) {
    await client(conn).deleteWebhook({ ref }, { signal: conn.signal });
    return undefined;
  },
});
