/**
 * Webhook deliveries across control-plane processes on one database: two replicas deliver
 * each event once, and a replica killed with SIGKILL while an attempt is in flight (and while
 * more events are committed with no replica up) loses nothing: the next replica delivers all
 * of it once the dead one's lease has ended.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebhookService } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { startWebhookReceiver, type WebhookReceiver } from "@raworc/test-support/webhook-receiver.js";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { appendEvent, transitionLocked } from "../sessions/event-log.js";
import { SessionStore } from "../sessions/session-store.js";
import { openOrm, type Orm } from "../store/orm.js";

const env = {
  RAWORC_WEBHOOKS_ALLOW_PRIVATE: "1",
  RAWORC_WEBHOOKS_TIMEOUT_SECONDS: "1",
  RAWORC_WEBHOOKS_BACKOFF_INITIAL_MS: "100",
  RAWORC_WEBHOOKS_BACKOFF_MAX_SECONDS: "0.5",
};

describe("webhook deliveries across control-plane processes (SIGKILL, two replicas)", function () {
  this.timeout(120_000);
  const adminPassword = randomBytes(12).toString("base64url");
  let db: TestDatabase;
  let dataDir: string;
  let orm: Orm;
  let receiver: WebhookReceiver;
  const planes: ControlPlaneProcess[] = [];

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-webhook-replicas-"));
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    for (const plane of planes) await plane.stop();
    await orm?.close(true);
    await receiver?.close();
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function plane(): Promise<ControlPlaneProcess> {
    const started = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword, env });
    planes.push(started);
    return started;
  }

  let seq = 0;
  /** Stores `sessions` sessions' worth of events through the event log (one state change and two turn events each). */
  async function events(sessions: number): Promise<void> {
    const store = new SessionStore(orm);
    for (let i = 0; i < sessions; i++) {
      // Terminating sessions are left alone by the reconcilers of the replicas.
      const row = await store.create({ namespace: "default", name: `r-${++seq}`, spec: { agents: ["a"] }, labels: {}, annotations: {}, creator: {}, runtime: "process" });
      await store.withLocked(row.id, async (em, r) => {
        r.desired = "terminated";
        await transitionLocked(em, r, "terminating", "Test");
        await appendEvent(em, r, { payload: { case: "turnStarted", value: { messageId: "m" } as never }, turn: 1 });
        await appendEvent(em, r, { payload: { case: "turnCompleted", value: {} as never }, turn: 1 });
      });
    }
  }

  it("a replica killed mid-attempt, and events committed while none runs, are delivered by the next replica", async () => {
    const first = await plane();
    orm = await openOrm({ url: db.url, poolSize: 4 });
    const hooks = clientOf(WebhookService, first.url, await login(first.url, "admin", adminPassword));
    const { signingSecret } = await hooks.createWebhook({ webhook: { metadata: { namespace: "default", name: "hook" }, spec: { url: receiver.url, eventTypes: ["turn.completed"] } } });
    receiver.answer(() => "hang");
    await events(1);
    const [held] = await receiver.waitFor(1);
    await first.kill("SIGKILL");
    await events(3);
    receiver.answer(() => ({ status: 204 }));
    await plane();
    const ids = new Set((await receiver.waitFor(5)).map((r) => r.headers["webhook-id"]));
    assert.ok(ids.has(held!.headers["webhook-id"]), "the attempt in flight at the kill was made again");
    assert.equal(ids.size, 4, "every committed event was delivered");
    for (const req of receiver.received) new StandardWebhook(signingSecret).verify(req.body, req.headers);
    const states = async () =>
      (await orm.em.getConnection().execute<{ state: string; n: string }[]>(`select state, count(*) as n from webhook_deliveries group by state order by state`)).map((s) => [s.state, Number(s.n)]);
    for (let i = 0; i < 50 && (await states()).length > 1; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(await states(), [["succeeded", 4]]);
  });

  it("two replicas deliver each event once", async () => {
    await plane();
    const before = receiver.received.length;
    await orm.em.getConnection().execute(`delete from webhook_deliveries`);
    await events(40);
    const got = (await receiver.waitFor(before + 40)).slice(before);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const ids = got.map((r) => r.headers["webhook-id"]);
    assert.equal(new Set(ids).size, 40);
    assert.equal(receiver.received.length - before, 40, "no event was delivered twice");
  });
});
