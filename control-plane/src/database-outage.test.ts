import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./store/embedded-postgres.js";

// Far above the server's 5 s connect timeout, so a hang shows as DEADLINE_EXCEEDED rather than as a mocha timeout.
const CALL_TIMEOUT_MS = 15_000;

async function healthz(url: string): Promise<number> {
  return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(CALL_TIMEOUT_MS) })).status;
}

async function codeOf(call: Promise<unknown>): Promise<Code | "ok"> {
  return call.then(
    () => "ok" as const,
    (err: unknown) => ConnectError.from(err).code,
  );
}

describe("a database outage while the server runs (real PostgreSQL stopped and started again)", function () {
  this.timeout(180_000);
  let root: string;
  let dataDir: string;
  let port: number;
  let database: EmbeddedPostgres;
  let server: TestServer;
  let token: string;

  /** Stops the database (if it runs) and starts it again on the same data directory and port. */
  async function restartDatabase(): Promise<void> {
    await database.stop();
    database = await startEmbeddedPostgres({ dataDir, durable: false, port });
  }

  /** Calls WhoAmI until it succeeds, for at most 10 s; returns the last outcome. */
  async function whoAmIOnceBack(auth: ReturnType<typeof clientOf<typeof AuthService>>): Promise<Code | "ok"> {
    let outcome: Code | "ok" = Code.Unavailable;
    for (const deadline = Date.now() + 10_000; outcome !== "ok" && Date.now() < deadline; await sleep(100)) {
      outcome = await codeOf(auth.whoAmI({}, { timeoutMs: CALL_TIMEOUT_MS }));
    }
    return outcome;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "raworc-outage-test-"));
    // When the tests run as root, the server's own account must be able to pass through.
    await chmod(root, 0o711);
    dataDir = join(root, "pg");
    database = await startEmbeddedPostgres({ dataDir, durable: false });
    port = Number(new URL(database.url).port);
    server = await startTestServer({ config: { databaseUrl: database.url } });
    token = await login(server.url, "admin", server.adminPassword);
  });
  after(async () => {
    try {
      await server?.stop();
    } finally {
      await database?.stop();
      await rm(root, { recursive: true, force: true });
    }
  });

  it("answers UNAVAILABLE and /healthz 503 while the database is down, and recovers with the same token and all data when it returns", async () => {
    const { url } = server;
    const auth = clientOf(AuthService, url, token);
    await clientOf(ServiceAccountService, url, token).createServiceAccount({
      serviceAccount: { metadata: { name: "keeper" }, active: true },
      password: "keeper-password",
    });
    assert.equal((await auth.whoAmI({}, { timeoutMs: CALL_TIMEOUT_MS })).principal?.name, "admin");
    assert.equal(await healthz(url), 200);
    const databaseUrl = database.url;

    await database.stop();
    const down = Date.now();
    assert.equal(await codeOf(auth.whoAmI({}, { timeoutMs: CALL_TIMEOUT_MS })), Code.Unavailable);
    const whoAmIFailedMs = Date.now() - down;
    const loginStart = Date.now();
    assert.equal(await codeOf(clientOf(AuthService, url).login({ username: "admin", password: server.adminPassword }, { timeoutMs: CALL_TIMEOUT_MS })), Code.Unavailable);
    const loginFailedMs = Date.now() - loginStart;
    assert.equal(await codeOf(auth.whoAmI({}, { timeoutMs: CALL_TIMEOUT_MS })), Code.Unavailable, "a second call while down fails the same way");
    assert.equal(await healthz(url), 503);

    database = await startEmbeddedPostgres({ dataDir, durable: false, port });
    assert.equal(database.url, databaseUrl, "the database comes back where the server expects it");
    const back = Date.now();
    assert.equal(await whoAmIOnceBack(auth), "ok", "WhoAmI with the token issued before the outage succeeds once the database is back");
    const recoveredMs = Date.now() - back;
    assert.equal(await healthz(url), 200);
    const kept = await clientOf(ServiceAccountService, url, token).getServiceAccount({ ref: { name: "keeper" } });
    assert.equal(kept.serviceAccount?.metadata?.name, "keeper");
    await login(url, "admin", server.adminPassword);
    process.stdout.write(`      (UNAVAILABLE after ${whoAmIFailedMs} ms for WhoAmI, ${loginFailedMs} ms for Login; WhoAmI OK ${recoveredMs} ms after the database was back)\n`);
  });

  it("answers UNAVAILABLE, not a hang, while the database accepts connections but never answers them", async () => {
    const { url } = server;
    const auth = clientOf(AuthService, url, token);
    // A restart empties the pool, so the next call must open a connection to the frozen server.
    await restartDatabase();
    const postmaster = Number((await readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n")[0]);
    process.kill(postmaster, "SIGSTOP");
    try {
      const start = Date.now();
      assert.equal(await codeOf(auth.whoAmI({}, { timeoutMs: CALL_TIMEOUT_MS })), Code.Unavailable);
      const failedMs = Date.now() - start;
      assert.equal(await healthz(url), 503);
      process.stdout.write(`      (UNAVAILABLE after ${failedMs} ms)\n`);
    } finally {
      process.kill(postmaster, "SIGCONT");
    }
    assert.equal(await whoAmIOnceBack(auth), "ok");
  });
});
