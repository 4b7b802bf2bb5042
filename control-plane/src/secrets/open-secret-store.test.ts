import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { Code, ConnectError } from "@connectrpc/connect";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { WebhookService } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { loadServerConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { startServer, type RunningServer } from "../server.js";
import { SecretStore } from "../store/secrets.js";
import { defaultSecretKeyFile, generateSecretKey, parseSecretKeys, secretKeyId } from "./secret-keys.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

const idOf = (key: string) => secretKeyId(Buffer.from(key, "base64"));

describe("secrets keys across restarts (real server, real PostgreSQL)", function () {
  this.timeout(120_000);
  const adminPassword = "admin-password-for-rotation";
  let db: TestDatabase;
  let dataDir: string;
  let server: RunningServer | undefined;
  let logs = "";

  /** Starts the server with the given RAWORC_SECRETS_KEY (undefined: the data directory's key file). */
  async function start(secretsKey?: string) {
    await server?.stop();
    logs = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const env = { RAWORC_DATABASE_URL: db.url, RAWORC_ADMIN_PASSWORD: adminPassword, ...(secretsKey ? { RAWORC_SECRETS_KEY: secretsKey } : {}) };
    server = await startServer(loadServerConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "info" }, env), {
      logger: createLogger("info", sink),
      shutdownGraceMs: 1000,
    });
    return { server, secrets: clientOf(SecretService, server.url, await login(server.url, "admin", adminPassword)) };
  }

  const keyIds = async () =>
    (await server!.orm.em.getConnection().execute<{ name: string; key_id: string }[]>(`select name, key_id from secrets order by name`)).map(
      (r) => `${r.name}:${r.key_id}`,
    );
  const ref = (name: string) => ({ namespace: "default", name });

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-secret-rotation-"));
  });
  after(async () => {
    await server?.stop();
    await db?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("rotates: a new key first re-encrypts every secret at start, and the old key can then be dropped", async () => {
    let { secrets } = await start();
    assert.match(logs, /generated the secrets encryption key/);
    await secrets.createSecret({ secret: { metadata: ref("llm"), data: { API_KEY: "v1" } } });
    await secrets.createSecret({ secret: { metadata: ref("other"), data: { TOKEN: "t1" } } });
    let token = await login(server!.url, "admin", adminPassword);
    const hooks = () => clientOf(WebhookService, server!.url, token);
    await hooks().createWebhook({ webhook: { metadata: ref("hook"), spec: { url: "https://example.com/h", eventTypes: ["*"] } } });
    const oldKey = (await readFile(defaultSecretKeyFile(dataDir), "utf8")).split("\n").find((l) => l && !l.startsWith("#"))!;
    assert.deepEqual(await keyIds(), [`llm:${idOf(oldKey)}`, `other:${idOf(oldKey)}`]);

    const newKey = generateSecretKey();
    ({ secrets } = await start(`${newKey},${oldKey}`));
    assert.match(logs, /"count":2,.*re-encrypted secrets under the current secrets key/);
    assert.match(logs, /"count":1,.*re-encrypted webhook signing secrets under the current secrets key/);
    assert.deepEqual(await keyIds(), [`llm:${idOf(newKey)}`, `other:${idOf(newKey)}`]);
    assert.equal((await secrets.getSecret({ ref: ref("llm") })).secret?.metadata?.resourceVersion, "1", "re-encryption is invisible to clients");

    ({ secrets } = await start(newKey));
    assert.ok(!logs.includes("re-encrypted"), "nothing left to re-encrypt");
    const store = new SecretStore(server!.orm, parseSecretKeys(newKey, "test"));
    assert.deepEqual(await store.readData(ref("llm")), { API_KEY: "v1" });
    await secrets.updateSecret({ secret: { metadata: ref("llm"), data: { API_KEY: "v2" } } });
    assert.deepEqual(await store.readData(ref("llm")), { API_KEY: "v2" });
    // The webhook's secret moved too: rotating it (which reads the current one) works on the new key alone.
    token = await login(server!.url, "admin", adminPassword);
    assert.match((await hooks().rotateWebhookSecret({ ref: ref("hook") })).signingSecret, /^whsec_/);
  });

  it("refuses a ciphertext copied into another row with FAILED_PRECONDITION, and reports it at start", async () => {
    const key = generateSecretKey();
    const { secrets } = await start(key);
    await secrets.createSecret({ secret: { metadata: ref("victim"), data: { A: "victim-value" } } });
    await secrets.createSecret({ secret: { metadata: ref("thief"), data: { A: "thief-value" } } });
    await server!.orm.em.getConnection().execute(
      `update secrets set ciphertext = v.ciphertext, nonce = v.nonce from secrets v where secrets.name = 'thief' and v.name = 'victim'`,
    );
    const error = await failure(secrets.updateSecret({ secret: { metadata: ref("thief"), data: { B: "x" } } }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /Secret "default\/thief" cannot be read: .*altered, or belongs to another secret/);
    assert.ok(!error.rawMessage.includes("victim-value"));
    await start(`${generateSecretKey()},${key}`);
    assert.match(logs, /"level":50.*1 secret\(s\) fail authentication: their stored data was altered/);
    assert.ok(!logs.includes("victim-value"));
  });

  it("keeps serving with a wrong key: a warning at start, metadata readable, values refused with the missing key's id", async () => {
    const lost = generateSecretKey();
    let { secrets } = await start(lost);
    await secrets.createSecret({ secret: { metadata: ref("orphan"), data: { API_KEY: "orphan-value" } } });
    ({ secrets } = await start(generateSecretKey()));
    assert.match(logs, new RegExp(`"level":40.*secret\\(s\\) are encrypted with key ${idOf(lost)}, which is not configured`));
    const got = (await secrets.getSecret({ ref: ref("orphan") })).secret!;
    assert.deepEqual(got.keys, ["API_KEY"]);
    const error = await failure(secrets.updateSecret({ secret: { metadata: ref("orphan"), data: { MORE: "x" } } }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, new RegExp(`encrypted with key ${idOf(lost)}, which is not among the configured secrets keys`));
    assert.ok(!logs.includes("orphan-value") && !logs.includes(lost), "no value or key in the logs");
    await secrets.updateSecret({ secret: { metadata: { ...ref("orphan"), labels: { stale: "true" } } } });
    await secrets.createSecret({ secret: { metadata: ref("fresh"), data: { K: "v" } } });
    await secrets.deleteSecret({ ref: ref("orphan") });
  });
});
