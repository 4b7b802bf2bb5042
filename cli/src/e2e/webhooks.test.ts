import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startWebhookReceiver, type WebhookReceiver } from "@raworc/test-support/webhook-receiver.js";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { parse } from "yaml";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

const exampleAgent = fileURLToPath(new URL("../../../docs/examples/scripted-agent.yaml", import.meta.url));
const exampleWebhook = fileURLToPath(new URL("../../../docs/examples/webhook.yaml", import.meta.url));

describe("raworc webhooks (end to end, against a real server and receiver)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let receiver: WebhookReceiver;
  let dir: string;
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: { RAWORC_CONFIG: join(dir, "config.yaml") }, input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

  before(async () => {
    server = await startTestServer({ config: { webhooks: { allowPrivate: true, timeoutMs: 2000, retryWindowMs: 60_000, backoffInitialMs: 100, backoffMaxMs: 200, concurrency: 4 } } });
    receiver = await startWebhookReceiver();
    dir = await mkdtemp(join(tmpdir(), "raworc-webhooks-"));
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
  });
  after(async () => {
    await receiver?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("creates from flags showing the secret once, lists, lists deliveries, replays, rotates, updates and deletes", async () => {
    const created = await raworc(["webhooks", "create", "hook", "--url", receiver.url, "--event", "session.*"]);
    ok(created, "create");
    const [line, notice] = created.stdout.trimEnd().split("\n");
    assert.equal(line, "webhook/hook created in namespace default");
    const secret = /signing secret \(shown once; store it now\): (whsec_\S+)$/.exec(notice ?? "")?.[1];
    assert.ok(secret, created.stdout);
    assert.ok(!(await raworc(["webhooks", "get", "hook", "-o", "yaml"])).stdout.includes(secret.slice(6)));
    assert.match((await raworc(["webhooks", "list"])).stdout, /^hook\s+default\s+http:\/\/127\.0\.0\.1:\d+\/hook\s+session\.\*\s+Enabled\s/m);

    // Events through the API: a session starts, and is deleted.
    ok(await raworc(["agents", "create", "-f", exampleAgent]), "agent");
    ok(await raworc(["sessions", "create", "--agent", "greeter", "--name", "s1"]), "session");
    const [req] = await receiver.waitFor(1);
    ok(await raworc(["sessions", "delete", "s1"]), "delete session");
    new StandardWebhook(secret).verify(req!.body, req!.headers);

    let table = "";
    for (let i = 0; i < 50 && !/Succeeded/.test(table); i++) {
      table = (await raworc(["webhooks", "deliveries", "hook"])).stdout;
      if (!/Succeeded/.test(table)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.match(table, /^ID\s+EVENT\s+SESSION\s+STATE\s+ATTEMPTS\s+LAST\s+AGE$/m);
    const id = /^([0-9a-f-]{36})\s+session\.state_changed#\d+\s+s1\s+Succeeded\s+1\s+HTTP 204\s/m.exec(table)?.[1];
    assert.ok(id, table);
    const listed = JSON.parse((await raworc(["webhooks", "deliveries", "hook", "-o", "json"])).stdout) as { deliveries: { id: string; messageId: string }[] };
    const messageId = listed.deliveries.find((d) => d.id === id)?.messageId;
    ok(await raworc(["webhooks", "replay", "hook", id]), "replay");
    const replayed = await receiver.waitFor(2, (r) => r.headers["webhook-id"] === messageId);
    assert.equal(replayed.length, 2, "the replay carries the original's webhook-id");

    const rotated = await raworc(["webhooks", "rotate-secret", "hook", "--grace", "1h"]);
    ok(rotated, "rotate-secret");
    assert.match(rotated.stdout, /^webhook\/hook secret rotated\nsigning secret \(shown once; store it now\): whsec_/);

    ok(await raworc(["webhooks", "update", "hook", "--disable"]), "disable");
    assert.match((await raworc(["webhooks", "list"])).stdout, /Disabled \(Disabled\)/);
    const bad = await raworc(["webhooks", "update", "hook", "--event", "turn.nope"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /selects no event type/);
    ok(await raworc(["webhooks", "delete", "hook"]), "delete");
  });

  it("creates from the example file with -f and applies changes", async () => {
    const created = await raworc(["webhooks", "create", "-f", exampleWebhook]);
    ok(created, "create -f");
    assert.match(created.stdout, /^webhook\/ci-notify created in namespace default\nsigning secret \(shown once; store it now\): whsec_/);
    const saved = parse((await raworc(["webhooks", "get", "ci-notify", "-o", "yaml"])).stdout) as { spec: { eventTypes: string[]; timeout: string } };
    assert.deepEqual(saved.spec.eventTypes, ["turn.*", "approval.requested", "session.state_changed"]);
    assert.equal(saved.spec.timeout, "10s");
    const applied = await raworc(["webhooks", "apply", "-f", exampleWebhook]);
    ok(applied, "apply");
    assert.equal(applied.stdout, "webhook/ci-notify unchanged in namespace default\n");
  });
});
