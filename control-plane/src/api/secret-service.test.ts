import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import {
  GetSecretRequestSchema,
  GetSecretResponseSchema,
  SecretService,
} from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { createTestDatabase } from "@raworc/test-support/database.js";
import pg from "pg";
import { loadServerConfig } from "../config.js";
import { createLogger } from "../logger.js";
import { loadSecretKeys } from "../secrets/secret-keys.js";
import { startServer, type RunningServer } from "../server.js";
import type { Orm } from "../store/orm.js";
import { SecretStore } from "../store/secrets.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

/** The values as stored, decrypted with the server's key: what a session's daemon will receive. */
async function storedData(orm: Orm, dataDir: string, namespace: string, name: string): Promise<Record<string, string>> {
  const { keyring } = await loadSecretKeys({ key: undefined, keyFile: undefined, dataDir });
  return new SecretStore(orm, keyring).readData({ namespace, name });
}

async function addNamespace(orm: Orm, name: string): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into namespaces (id, name, phase, labels, annotations, created_at, updated_at, version)
     values (gen_random_uuid(), ?, 'active', '{}', '{}', now(), now(), 1) on conflict (name) do nothing`,
    [name],
  );
}

/** Binds a global role to a service account, in a namespace or ("" ) everywhere. */
async function bind(orm: Orm, namespace: string, role: string, account: { namespace: string; name: string }): Promise<void> {
  await orm.em.getConnection().execute(
    `insert into role_bindings (id, namespace, name, role_scope, role_name, subjects, labels, annotations, created_at, updated_at, version)
     values (gen_random_uuid(), ?, ?, 'global', ?, ?::jsonb, '{}', '{}', now(), now(), 1)`,
    [namespace, `${account.name}-${role}`, role, JSON.stringify([{ kind: "ServiceAccount", ...account }])],
  );
}

describe("SecretService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let admin: Client<typeof SecretService>;
  let token: string;
  before(async () => {
    t = await startTestServer();
    token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(SecretService, t.url, token);
  });
  after(async () => t?.stop());

  const createSecret = (name: string, data: Record<string, string>, namespace = "default", labels: Record<string, string> = {}) =>
    admin.createSecret({ secret: { metadata: { name, namespace, labels }, data } });

  it("creates, gets, lists, updates and deletes a secret, showing key names and never values", async () => {
    const created = (await createSecret("openai", { OPENAI_API_KEY: "sk-one", ORG: "acme" }, "default", { team: "a" })).secret!;
    assert.deepEqual(created.keys, ["OPENAI_API_KEY", "ORG"]);
    assert.deepEqual(created.data, {});
    assert.equal(created.type, "Opaque");
    assert.equal(created.metadata?.resourceVersion, "1");
    assert.match(created.metadata?.uid ?? "", /^[0-9a-f-]{36}$/);

    const got = (await admin.getSecret({ ref: { namespace: "default", name: "openai" } })).secret!;
    assert.deepEqual(got.data, {});
    assert.deepEqual(got.keys, ["OPENAI_API_KEY", "ORG"]);
    const listed = await admin.listSecrets({ namespace: "default", labelSelector: "team=a" });
    assert.deepEqual(listed.secrets.map((s) => [s.metadata?.name, s.keys, s.data]), [["openai", ["OPENAI_API_KEY", "ORG"], {}]]);

    const updated = (
      await admin.updateSecret({
        secret: { metadata: got.metadata, type: "raworc.dev/llm", data: { ORG: "acme-2", PROJECT: "p1" } },
        removeKeys: ["OPENAI_API_KEY"],
      })
    ).secret!;
    assert.deepEqual(updated.keys, ["ORG", "PROJECT"]);
    assert.deepEqual(updated.data, {});
    assert.equal(updated.type, "raworc.dev/llm");
    assert.equal(updated.metadata?.resourceVersion, "2");
    assert.deepEqual(await storedData(t.server.orm, t.dataDir, "default", "openai"), { ORG: "acme-2", PROJECT: "p1" });

    // An update without data keeps every value.
    await admin.updateSecret({ secret: { metadata: { ...updated.metadata, labels: { team: "b" } }, type: updated.type } });
    assert.deepEqual(await storedData(t.server.orm, t.dataDir, "default", "openai"), { ORG: "acme-2", PROJECT: "p1" });

    await admin.deleteSecret({ ref: { namespace: "default", name: "openai" } });
    const gone = await failure(admin.getSecret({ ref: { namespace: "default", name: "openai" } }));
    assert.equal(gone.code, Code.NotFound);
    assert.match(gone.rawMessage, /Secret "default\/openai" not found/);
    assert.equal((await failure(admin.deleteSecret({ ref: { namespace: "default", name: "openai" } }))).code, Code.NotFound);
    assert.equal((await failure(admin.updateSecret({ secret: { metadata: { namespace: "default", name: "openai" }, data: { A: "b" } } }))).code, Code.NotFound);
  });

  it("never sends a value over the wire, in Connect JSON or in binary", async () => {
    const canary = "sk-wire-canary-5d41402abc4b2a76";
    await createSecret("wire", { KEY: canary });
    const post = (method: string, contentType: string, body: string | Uint8Array<ArrayBuffer>) =>
      fetch(`${t.url}/raworc.v1.SecretService/${method}`, {
        method: "POST",
        headers: { "content-type": contentType, authorization: `Bearer ${token}` },
        body,
      });
    for (const [method, body] of [
      ["GetSecret", { ref: { namespace: "default", name: "wire" } }],
      ["ListSecrets", { namespace: "default" }],
      ["UpdateSecret", { secret: { metadata: { namespace: "default", name: "wire" }, data: { OTHER: canary } } }],
    ] as const) {
      const res = await post(method, "application/json", JSON.stringify(body));
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.match(text, /"keys":\["KEY"/);
      assert.ok(!text.includes(canary), `${method} returned a value`);
    }
    const request = toBinary(GetSecretRequestSchema, create(GetSecretRequestSchema, { ref: { namespace: "default", name: "wire" } }));
    const res = await post("GetSecret", "application/proto", request);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(res.status, 200);
    assert.deepEqual(fromBinary(GetSecretResponseSchema, bytes).secret?.keys, ["KEY", "OTHER"]);
    assert.equal(bytes.indexOf(canary), -1, "the binary response carries a value");
  });

  it("refuses a taken name with ALREADY_EXISTS, a missing namespace with FAILED_PRECONDITION, and bad data with INVALID_ARGUMENT", async () => {
    await createSecret("dup", { A: "1" });
    const dup = await failure(createSecret("dup", { A: "2" }));
    assert.equal(dup.code, Code.AlreadyExists);
    assert.match(dup.rawMessage, /Secret "default\/dup" already exists/);
    assert.deepEqual(await storedData(t.server.orm, t.dataDir, "default", "dup"), { A: "1" }, "the first value stays");

    const nowhere = await failure(createSecret("lost", { A: "1" }, "no-such-namespace"));
    assert.equal(nowhere.code, Code.FailedPrecondition);
    assert.match(nowhere.rawMessage, /namespace "no-such-namespace" does not exist/);

    assert.equal((await failure(createSecret("empty", {}))).code, Code.InvalidArgument);
    for (const key of ["has space", "slash/key", ""]) assert.equal((await failure(createSecret("badkey", { [key]: "v" }))).code, Code.InvalidArgument, key);
    for (const attempt of [
      () => createSecret("blank", { A: "1", "api-key": "" }),
      () => admin.updateSecret({ secret: { metadata: { namespace: "default", name: "dup" }, data: { A: "" } } }),
    ]) {
      const blank = await failure(attempt());
      assert.equal(blank.code, Code.InvalidArgument);
      assert.match(blank.rawMessage, /^secret\.data\["(api-key|A)"\]: a secret value may not be empty \(was the variable it came from unset\?\)/);
    }
    assert.equal((await failure(admin.getSecret({ ref: { namespace: "default", name: "blank" } }))).code, Code.NotFound, "nothing stored");
    assert.deepEqual(await storedData(t.server.orm, t.dataDir, "default", "dup"), { A: "1" }, "the update changed nothing");
    assert.equal((await failure(createSecret("huge", { A: "x".repeat(16385) }))).code, Code.InvalidArgument);
    assert.equal((await failure(admin.createSecret({ secret: { metadata: { name: "global" }, data: { A: "1" } } }))).code, Code.InvalidArgument);
    const both = await failure(admin.updateSecret({ secret: { metadata: { namespace: "default", name: "dup" }, data: { A: "3" } }, removeKeys: ["A"] }));
    assert.equal(both.code, Code.InvalidArgument);
    const emptied = await failure(admin.updateSecret({ secret: { metadata: { namespace: "default", name: "dup" } }, removeKeys: ["A"] }));
    assert.equal(emptied.code, Code.InvalidArgument);
    assert.match(emptied.rawMessage, /at least one key/);
  });

  it("refuses an update with a stale resource_version with ABORTED and keeps the stored values", async () => {
    const secret = (await createSecret("racer", { TOKEN: "first" })).secret!;
    await admin.updateSecret({ secret: { metadata: secret.metadata, data: { TOKEN: "second" } } });
    const stale = await failure(admin.updateSecret({ secret: { metadata: secret.metadata, data: { TOKEN: "third" } } }));
    assert.equal(stale.code, Code.Aborted);
    assert.deepEqual(await storedData(t.server.orm, t.dataDir, "default", "racer"), { TOKEN: "second" });
  });

  it("pages through a list in (namespace, name) order", async () => {
    await addNamespace(t.server.orm, "paging");
    for (let i = 0; i < 5; i++) await createSecret(`page-${i}`, { K: String(i) }, "paging");
    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await admin.listSecrets({ namespace: "paging", pageSize: 2, pageToken });
      assert.ok(page.secrets.length <= 2);
      names.push(...page.secrets.map((s) => s.metadata!.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(names, [0, 1, 2, 3, 4].map((i) => `page-${i}`));
  });

  it("lets a developer use secrets only in its namespace, and denies accounts without a role", async () => {
    const orm = t.server.orm;
    for (const ns of ["team-a", "team-b"]) await addNamespace(orm, ns);
    await createSecret("b-key", { K: "b" }, "team-b");
    const accounts = clientOf(ServiceAccountService, t.url, token);
    for (const [namespace, name] of [["team-a", "alice"], ["", "mallory"], ["", "victor"]] as const) {
      await accounts.createServiceAccount({ serviceAccount: { metadata: { namespace, name }, active: true }, password: `${name}-password-123` });
    }
    await bind(orm, "team-a", "developer", { namespace: "team-a", name: "alice" });
    await bind(orm, "", "viewer", { namespace: "", name: "victor" });

    const alice = clientOf(SecretService, t.url, await login(t.url, "team-a/alice", "alice-password-123"));
    await alice.createSecret({ secret: { metadata: { namespace: "team-a", name: "a-key" }, data: { K: "a" } } });
    const seen = await alice.listSecrets({});
    assert.deepEqual(seen.secrets.map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`), ["team-a/a-key"]);
    assert.equal((await failure(alice.getSecret({ ref: { namespace: "team-b", name: "b-key" } }))).code, Code.PermissionDenied);
    assert.equal((await failure(alice.listSecrets({ namespace: "team-b" }))).code, Code.PermissionDenied);
    assert.equal((await failure(alice.createSecret({ secret: { metadata: { namespace: "team-b", name: "x" }, data: { K: "x" } } }))).code, Code.PermissionDenied);

    for (const name of ["mallory", "victor"]) {
      const other = clientOf(SecretService, t.url, await login(t.url, name, `${name}-password-123`));
      assert.equal((await failure(other.listSecrets({}))).code, Code.PermissionDenied, name);
      assert.equal((await failure(other.getSecret({ ref: { namespace: "team-b", name: "b-key" } }))).code, Code.PermissionDenied, name);
      assert.equal((await failure(other.createSecret({ secret: { metadata: { namespace: "default", name: "x" }, data: { K: "x" } } }))).code, Code.PermissionDenied, name);
      assert.equal((await failure(other.deleteSecret({ ref: { namespace: "team-b", name: "b-key" } }))).code, Code.PermissionDenied, name);
    }
    assert.equal((await failure(clientOf(SecretService, t.url).listSecrets({}))).code, Code.Unauthenticated);
    assert.deepEqual(await storedData(orm, t.dataDir, "team-b", "b-key"), { K: "b" }, "a denied delete deletes nothing");
  });
});

describe("SecretService keeps values out of the database and the logs", function () {
  it("stores a canary value only encrypted: no table column and no log line holds it in clear", async function () {
    this.timeout(120_000);
    const db = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-secret-canary-"));
    let logs = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const canary = "sk-canary-0f8e7d6c5b4a39281706";
    const adminPassword = "admin-password-for-canary";
    const config = loadServerConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "trace" }, { RAWORC_DATABASE_URL: db.url, RAWORC_ADMIN_PASSWORD: adminPassword });
    let server: RunningServer | undefined;
    const client = new pg.Client({ connectionString: db.url });
    try {
      server = await startServer(config, { logger: createLogger("trace", sink) });
      const secrets = clientOf(SecretService, server.url, await login(server.url, "admin", adminPassword));
      const created = (await secrets.createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { API_KEY: canary } } })).secret!;
      await secrets.updateSecret({ secret: { metadata: created.metadata, data: { OTHER_KEY: `${canary}-2` } } });
      await secrets.getSecret({ ref: { namespace: "default", name: "llm" } });
      await secrets.listSecrets({});
      // Failing calls log their error: none of those messages may echo a value.
      const failures = [
        await failure(secrets.createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { API_KEY: canary } } })),
        await failure(secrets.createSecret({ secret: { metadata: { namespace: "default", name: "big" }, data: { API_KEY: canary.repeat(1000) } } })),
        await failure(secrets.createSecret({ secret: { metadata: { namespace: "nowhere", name: "x" }, data: { API_KEY: canary } } })),
        await failure(secrets.updateSecret({ secret: { metadata: created.metadata, data: { API_KEY: canary } } })),
      ];
      assert.deepEqual(failures.map((f) => f.code), [Code.AlreadyExists, Code.InvalidArgument, Code.FailedPrecondition, Code.Aborted]);
      for (const f of failures) assert.ok(!f.rawMessage.includes(canary), f.rawMessage);
      assert.deepEqual(await storedData(server.orm, dataDir, "default", "llm"), { API_KEY: canary, OTHER_KEY: `${canary}-2` }, "the value is stored");

      await client.connect();
      const tables = await client.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
      );
      assert.ok(tables.rows.some((r) => r.table_name === "secrets"));
      const hex = Buffer.from(canary).toString("hex");
      let rowsScanned = 0;
      for (const { table_name } of tables.rows) {
        // A row's text form holds every column; bytea shows as hex there, so look for both.
        const rows = await client.query<{ row: string }>(`select t::text as row from "${table_name}" t`);
        for (const { row } of rows.rows) {
          rowsScanned++;
          assert.ok(!row.includes(canary) && !row.toLowerCase().includes(hex), `table ${table_name} holds the value in clear`);
        }
      }
      assert.ok(rowsScanned > 3, "the scan saw the stored rows");

      assert.ok(logs.includes('"rpc":"raworc.v1.SecretService/CreateSecret"'), "calls are logged");
      assert.ok(!logs.includes(canary) && !logs.includes(hex), "a value reached the logs");
    } finally {
      await client.end().catch(() => undefined);
      await server?.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
