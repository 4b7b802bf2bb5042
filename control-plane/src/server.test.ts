import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { createTestDatabase } from "@raworc/test-support/database.js";
import { loadServerConfig } from "./config.js";
import { createLogger } from "./logger.js";
import { startServer } from "./server.js";

const run = promisify(execFile);

describe("the server process", () => {
  it("starts on the embedded PostgreSQL, bootstraps admin once, and keeps data across restarts", async function () {
    this.timeout(180_000);
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-embedded-"));
    try {
      const config = loadServerConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" }, {});
      let server = await startServer(config);
      try {
        assert.ok(server.bootstrap.created && server.bootstrap.passwordFile);
        const passwordFile = server.bootstrap.passwordFile;
        assert.equal((await stat(passwordFile)).mode & 0o777, 0o600);
        assert.equal((await stat(join(dataDir, "keys", "jwks.json"))).mode & 0o777, 0o600);
        const password = (await readFile(passwordFile, "utf8")).trim();
        assert.ok(password.length >= 20, "a generated password is long");
        const token = await login(server.url, "admin", password);
        await clientOf(ServiceAccountService, server.url, token).createServiceAccount({
          serviceAccount: { metadata: { name: "survivor" }, active: true },
          password: "survivor-password",
        });
        await server.stop();
        server = await startServer(config);
        assert.equal(server.bootstrap.created, false, "admin is created once");
        const again = await login(server.url, "admin", password);
        assert.equal((await clientOf(AuthService, server.url, token).whoAmI({})).principal?.name, "admin", "tokens survive a restart");
        const kept = await clientOf(ServiceAccountService, server.url, again).getServiceAccount({ ref: { name: "survivor" } });
        assert.equal(kept.serviceAccount?.metadata?.name, "survivor");
      } finally {
        await server.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses to start on an unreachable database with one line naming the masked URL, and exit code 1", async function () {
    this.timeout(60_000);
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-unreachable-"));
    const script = `import("@raworc/control-plane").then((m) => m.runServer({ port: 0 })).then((code) => process.exit(code))`;
    const result = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      env: { ...process.env, RAWORC_DATA_DIR: dataDir, RAWORC_DATABASE_URL: "postgres://raworc:s3cret-canary@127.0.0.1:1/raworc" },
    }).then(
      () => assert.fail("the server must not start"),
      (error: { code: number; stderr: string }) => error,
    );
    await rm(dataDir, { recursive: true, force: true });
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0]!, /postgres:\/\/raworc:\*\*\*@127\.0\.0\.1:1\/raworc/);
    assert.ok(!result.stderr.includes("s3cret-canary"));
  });

  it("never writes passwords or tokens to its logs", async () => {
    const db = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-logs-"));
    let logs = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        logs += chunk.toString();
        done();
      },
    });
    const canary = "canary-password-7f3a9";
    const config = loadServerConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "trace" }, { RAWORC_DATABASE_URL: db.url, RAWORC_ADMIN_PASSWORD: canary });
    const server = await startServer(config, { logger: createLogger("trace", sink) });
    try {
      const token = await login(server.url, "admin", canary);
      await clientOf(AuthService, server.url, token).whoAmI({});
      await clientOf(AuthService, server.url).login({ username: "admin", password: "wrong-canary-1" }).catch(() => undefined);
      await clientOf(AuthService, server.url, token)
        .changePassword({ currentPassword: canary, newPassword: "next-canary-password" })
        .catch(() => undefined);
      assert.ok(logs.includes('"rpc":"raworc.v1.AuthService/Login"'), "calls are logged");
      for (const secret of [canary, "wrong-canary-1", "next-canary-password", token, token.split(".")[2]!]) {
        assert.ok(!logs.includes(secret), "a secret reached the logs");
      }
    } finally {
      await server.stop();
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("answers a call that arrives during shutdown cleanly, and then stops listening", async () => {
    const db = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-stop-"));
    const config = loadServerConfig({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" }, { RAWORC_DATABASE_URL: db.url, RAWORC_ADMIN_PASSWORD: "admin-password-for-stop" });
    const server = await startServer(config);
    const inflight = login(server.url, "admin", "admin-password-for-stop");
    await server.stop();
    // Either it finished before the port closed, or it was refused; never a hang or a crash.
    await inflight.catch((e: unknown) => assert.ok([Code.Unavailable, Code.Unknown, Code.Internal].includes(ConnectError.from(e).code)));
    await assert.rejects(fetch(`${server.url}/healthz`));
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
  });
});
