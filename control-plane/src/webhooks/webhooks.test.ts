/**
 * Webhooks end to end in one real control plane (real PostgreSQL, real receivers on port 0):
 * events are stored through the session event log's commit path, and the receiver side of
 * Standard Webhooks verifies every delivery.
 */
import assert from "node:assert/strict";
import { toJsonString } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { GetWebhookResponseSchema, WebhookDeliveryState, WebhookService } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from "@raworc/test-support/webhook-receiver.js";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { appendEvent, transitionLocked } from "../sessions/event-log.js";
import { SessionStore } from "../sessions/session-store.js";

/** Verifies a request with the Standard Webhooks receiver side; returns the parsed body. */
function verified(secret: string, req: ReceivedRequest): { type: string; timestamp: string; data: { session: { namespace: string; name: string }; event: Record<string, unknown> } } {
  return new StandardWebhook(secret).verify(req.body, req.headers) as never;
}

describe("webhooks (real server, real receivers, real PostgreSQL)", function () {
  this.timeout(120_000);
  let t: TestServer;
  let hooks: Client<typeof WebhookService>;
  let store: SessionStore;
  const receivers: WebhookReceiver[] = [];
  let seq = 0;

  before(async () => {
    t = await startTestServer({
      reconcile: false,
      config: { webhooks: { allowPrivate: true, timeoutMs: 2000, retryWindowMs: 60_000, backoffInitialMs: 100, backoffMaxMs: 400, concurrency: 8 } },
    });
    hooks = clientOf(WebhookService, t.url, await login(t.url, "admin", t.adminPassword));
    store = new SessionStore(t.server.orm);
  });
  after(async () => {
    for (const r of receivers) await r.close();
    await t?.stop();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver();
    receivers.push(r);
    return r;
  }

  async function webhook(name: string, url: string, eventTypes = ["*"], extra: { timeoutMs?: number; namespace?: string; selector?: string } = {}) {
    const res = await hooks.createWebhook({
      webhook: {
        metadata: { namespace: extra.namespace ?? "default", name },
        spec: { url, eventTypes, sessionSelector: extra.selector ?? "", ...(extra.timeoutMs ? { timeout: durationFromMs(extra.timeoutMs) } : {}) },
      },
    });
    return res;
  }

  /** A new session (its creation stores no event) and a way to store events through the event log. */
  async function session(labels: Record<string, string> = {}, namespace = "default") {
    const row = await store.create({ namespace, name: `s-${++seq}`, spec: { agents: ["a"] }, labels, annotations: {}, creator: {}, runtime: "process" });
    return {
      row,
      start: () => store.withLocked(row.id, (em, r) => transitionLocked(em, r, "starting", "Scheduled", "test")),
      turn: (n: number) =>
        store.withLocked(row.id, async (em, r) => {
          await appendEvent(em, r, { payload: { case: "turnStarted", value: { messageId: "m" } as never }, turn: n });
          await appendEvent(em, r, { payload: { case: "textDelta", value: { text: "hi" } as never }, turn: n });
          await appendEvent(em, r, { payload: { case: "turnCompleted", value: { modelCalls: 1 } as never }, turn: n });
        }),
    };
  }

  it("delivers signed events (verified by the receiver side), shows the secret once and filters by type", async () => {
    const r = await receiver();
    const all = await webhook("all", r.url);
    assert.match(all.signingSecret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    const got = await hooks.getWebhook({ ref: { namespace: "default", name: "all" } });
    assert.ok(!toJsonString(GetWebhookResponseSchema, got).includes(all.signingSecret.slice(6)), "get never returns the secret");
    const turns = await receiver();
    await webhook("turns", turns.url, ["turn.completed"]);

    const s = await session();
    await s.start();
    await s.turn(1);
    const received = await r.waitFor(3);
    const bodies = received.map((req) => verified(all.signingSecret, req));
    assert.deepEqual(bodies.map((b) => b.type).sort(), ["session.state_changed", "turn.completed", "turn.started"]);
    const completed = bodies.find((b) => b.type === "turn.completed")!;
    assert.deepEqual(completed.data.session, { namespace: "default", name: s.row.name, uid: s.row.id });
    assert.equal(completed.data.event.turn, 1);
    assert.deepEqual(completed.data.event.turnCompleted, { modelCalls: 1 });
    assert.ok(bodies.every((b) => !JSON.stringify(b).includes("textDelta")), "text deltas are never delivered");
    for (const req of received) assert.match(req.headers["webhook-id"] ?? "", /^msg_[0-9a-f]{32}$/);

    const only = await turns.waitFor(1);
    assert.equal((JSON.parse(only[0]!.body) as { type: string }).type, "turn.completed");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(turns.received.length, 1, "a webhook gets only the types it asked for");

    // A forged signature fails the receiver's check: the test's verification can fail.
    assert.throws(() => new StandardWebhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`).verify(received[0]!.body, received[0]!.headers));
  });

  it("delivers only events of sessions its selector matches", async () => {
    const r = await receiver();
    await webhook("prod-only", r.url, ["session.*"], { selector: "env=prod" });
    const dev = await session({ env: "dev" });
    const prod = await session({ env: "prod" });
    await dev.start();
    await prod.start();
    const [only] = await r.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(r.received.length, 1);
    assert.equal((JSON.parse(only!.body) as { data: { session: { name: string } } }).data.session.name, prod.row.name);
  });

  it("signs with both secrets during a rotation's grace period, and with the new one alone after", async () => {
    const r = await receiver();
    const created = await webhook("rotating", r.url, ["session.state_changed"]);
    const rotated = await hooks.rotateWebhookSecret({ ref: { namespace: "default", name: "rotating" }, gracePeriod: durationFromMs(3600_000) });
    assert.notEqual(rotated.signingSecret, created.signingSecret);
    assert.ok(rotated.webhook?.status?.previousSecretExpiresAt, "the status says until when the old secret signs");
    await (await session()).start();
    const [during] = await r.waitFor(1);
    assert.equal(during!.headers["webhook-signature"]!.split(" ").length, 2);
    verified(created.signingSecret, during!);
    verified(rotated.signingSecret, during!);

    const again = await hooks.rotateWebhookSecret({ ref: { namespace: "default", name: "rotating" }, gracePeriod: durationFromMs(0) });
    await (await session()).start();
    const after = (await r.waitFor(2))[1]!;
    assert.equal(after.headers["webhook-signature"]!.split(" ").length, 1);
    verified(again.signingSecret, after);
    assert.throws(() => verified(rotated.signingSecret, after), "the dropped secret no longer verifies");
  });

  it("retries while the receiver is down and delivers once it is back; attempts are listed", async () => {
    const r = await receiver();
    const { signingSecret } = await webhook("flaky", r.url, ["session.state_changed"]);
    await r.down();
    await (await session()).start();
    const ref = { namespace: "default", name: "flaky" };
    const failing = async () => (await hooks.listWebhookDeliveries({ ref })).deliveries[0]?.attempts.length ?? 0;
    for (let i = 0; i < 100 && (await failing()) < 2; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok((await failing()) >= 2, "at least two failed attempts while the receiver was down");
    await r.up();
    const [req] = await r.waitFor(1);
    verified(signingSecret, req!);
    let delivery = (await hooks.listWebhookDeliveries({ ref })).deliveries[0]!;
    for (let i = 0; i < 50 && delivery.state !== WebhookDeliveryState.SUCCEEDED; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      delivery = (await hooks.listWebhookDeliveries({ ref })).deliveries[0]!;
    }
    assert.equal(delivery.state, WebhookDeliveryState.SUCCEEDED);
    const attempts = delivery.attempts;
    assert.ok(attempts.slice(0, -1).every((a) => a.statusCode === 0 && /ECONNREFUSED/.test(a.error)), JSON.stringify(attempts.map((a) => a.error)));
    assert.equal(attempts.at(-1)!.statusCode, 204);
    assert.equal(req!.headers["webhook-id"], delivery.messageId);
  });

  it("times out a slow receiver and retries it", async () => {
    const r = await receiver();
    let calls = 0;
    r.answer(() => (++calls === 1 ? { status: 200, delayMs: 5000 } : { status: 200 }));
    await webhook("slow", r.url, ["session.state_changed"], { timeoutMs: 300 });
    await (await session()).start();
    const reqs = await r.waitFor(2);
    assert.equal(reqs[0]!.headers["webhook-id"], reqs[1]!.headers["webhook-id"], "a retry is the same message");
    const ref = { namespace: "default", name: "slow" };
    let delivery = (await hooks.listWebhookDeliveries({ ref })).deliveries[0]!;
    for (let i = 0; i < 50 && delivery.state !== WebhookDeliveryState.SUCCEEDED; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      delivery = (await hooks.listWebhookDeliveries({ ref })).deliveries[0]!;
    }
    assert.match(delivery.attempts[0]!.error, /timed out after 300 ms/);
    assert.equal(delivery.state, WebhookDeliveryState.SUCCEEDED);
  });

  it("disables the webhook at once on 410 Gone and cancels what was pending", async () => {
    const r = await receiver();
    r.answer(() => ({ status: 410 }));
    await webhook("gone", r.url, ["session.state_changed"]);
    await (await session()).start();
    await r.waitFor(1);
    const ref = { namespace: "default", name: "gone" };
    let hook = (await hooks.getWebhook({ ref })).webhook!;
    for (let i = 0; i < 50 && !hook.spec?.disabled; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      hook = (await hooks.getWebhook({ ref })).webhook!;
    }
    assert.equal(hook.spec?.disabled, true);
    assert.equal(hook.status?.disabledReason, "Gone");
    await (await session()).start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(r.received.length, 1, "a disabled webhook queues nothing more");
    await assert.rejects(
      hooks.replayWebhookDelivery({ ref, deliveryId: (await hooks.listWebhookDeliveries({ ref })).deliveries[0]!.id }),
      (e: ConnectError) => e.code === Code.FailedPrecondition,
    );
  });

  it("gives up after the retry window and disables the webhook, saying why", async () => {
    const short = await startTestServer({
      reconcile: false,
      config: { webhooks: { allowPrivate: true, timeoutMs: 1000, retryWindowMs: 1200, backoffInitialMs: 100, backoffMaxMs: 200, concurrency: 4 } },
    });
    try {
      const client = clientOf(WebhookService, short.url, await login(short.url, "admin", short.adminPassword));
      const r = await receiver();
      r.answer(() => ({ status: 503 }));
      await client.createWebhook({ webhook: { metadata: { namespace: "default", name: "down" }, spec: { url: r.url, eventTypes: ["*"] } } });
      const s = new SessionStore(short.server.orm);
      const row = await s.create({ namespace: "default", name: "x", spec: {}, labels: {}, annotations: {}, creator: {}, runtime: "process" });
      await s.withLocked(row.id, (em, locked) => transitionLocked(em, locked, "starting", "Scheduled"));
      const ref = { namespace: "default", name: "down" };
      let hook = (await client.getWebhook({ ref })).webhook!;
      for (let i = 0; i < 100 && !hook.spec?.disabled; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        hook = (await client.getWebhook({ ref })).webhook!;
      }
      assert.equal(hook.status?.disabledReason, "RetriesExhausted");
      assert.match(hook.status?.disabledMessage ?? "", /HTTP 503/);
      const [delivery] = (await client.listWebhookDeliveries({ ref })).deliveries;
      assert.equal(delivery?.state, WebhookDeliveryState.FAILED);
      assert.ok(delivery.attempts.length >= 2 && delivery.attempts.every((a) => a.statusCode === 503));

      // Re-enabling by update resumes deliveries of new events, and a replay sends the old one again, same webhook-id.
      await client.updateWebhook({ webhook: { ...hook, spec: { ...hook.spec!, disabled: false } } });
      r.answer(() => ({ status: 200 }));
      const before = r.received.length;
      const replayed = await client.replayWebhookDelivery({ ref, deliveryId: delivery.id });
      assert.equal(replayed.delivery?.replayOf, delivery.id);
      const reqs = await r.waitFor(before + 1);
      assert.equal(reqs.at(-1)!.headers["webhook-id"], delivery.messageId);
    } finally {
      await short.stop();
    }
  });

  it("re-checks at delivery that the owner may watch the session: a revoked binding means no body goes out", async () => {
    const token = await login(t.url, "admin", t.adminPassword);
    await clientOf(NamespaceService, t.url, token).createNamespace({ namespace: { metadata: { name: "team-w" } } });
    await clientOf(ServiceAccountService, t.url, token).createServiceAccount({ serviceAccount: { metadata: { namespace: "team-w", name: "wendy" }, active: true }, password: "wendy-password-1" });
    const rbac = clientOf(RbacService, t.url, token);
    await rbac.createRoleBinding({
      roleBinding: {
        metadata: { namespace: "team-w", name: "wendy-dev" },
        roleRef: { scope: RoleScope.GLOBAL, name: "developer" },
        subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-w", name: "wendy" }],
      },
    });
    const wendy = clientOf(WebhookService, t.url, await login(t.url, "team-w/wendy", "wendy-password-1"));
    const r = await receiver();
    const created = await wendy.createWebhook({ webhook: { metadata: { namespace: "team-w", name: "mine" }, spec: { url: r.url, eventTypes: ["*"] } } });
    assert.equal(created.webhook?.status?.owner?.name, "wendy");
    await (await session({}, "team-w")).start();
    await r.waitFor(1);

    await rbac.deleteRoleBinding({ ref: { namespace: "team-w", name: "wendy-dev" } });
    await (await session({}, "team-w")).start();
    const ref = { namespace: "team-w", name: "mine" };
    let deliveries = (await hooks.listWebhookDeliveries({ ref })).deliveries;
    for (let i = 0; i < 50 && deliveries[0]?.state !== WebhookDeliveryState.SKIPPED; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      deliveries = (await hooks.listWebhookDeliveries({ ref })).deliveries;
    }
    assert.equal(deliveries[0]?.state, WebhookDeliveryState.SKIPPED);
    assert.match(deliveries[0].message, /may not watch the events of session "team-w\//);
    assert.equal(r.received.length, 1, "nothing was sent for the session she may no longer watch");
  });

  it("refuses bad input with INVALID_ARGUMENT naming the field", async () => {
    const bad = async (spec: Record<string, unknown>, pattern: RegExp) => {
      const error = await hooks.createWebhook({ webhook: { metadata: { namespace: "default", name: "bad" }, spec: { url: "http://example.com/h", eventTypes: ["*"], ...spec } } }).then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(error?.code, Code.InvalidArgument, String(error?.message));
      assert.match(error.rawMessage, pattern);
    };
    await bad({ url: "ftp://example.com/x" }, /http:\/\/ or https:\/\//);
    await bad({ url: "https://user:pw@example.com/x" }, /credentials/);
    await bad({ eventTypes: ["turn.exploded"] }, /selects no event type/);
    await bad({ eventTypes: ["TURN"] }, /event_types/);
    await bad({ sessionSelector: "a in (" }, /session_selector/);
    await bad({ eventTypes: [] }, /event_types/);
  });
});
