import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { checkDatabaseReachable, maskDatabaseUrl } from "./database-url.js";

async function listen(server: Server): Promise<number> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as AddressInfo).port;
}

describe("maskDatabaseUrl", () => {
  it("replaces the password, wherever the URL carries it, with ***", () => {
    assert.equal(maskDatabaseUrl("postgres://raworc:s3cr%40t@db.example:5432/raworc"), "postgres://raworc:***@db.example:5432/raworc");
    assert.equal(
      maskDatabaseUrl("postgresql://raworc@db.example/raworc?password=s3cret&sslmode=require"),
      "postgresql://raworc@db.example/raworc?password=***&sslmode=require",
    );
    assert.equal(maskDatabaseUrl("postgres://raworc:s3cret@[::1/raworc"), "postgres://raworc:***@[::1/raworc");
  });

  it("leaves a URL without a password as it is", () => {
    assert.equal(maskDatabaseUrl("postgres://raworc@127.0.0.1:5432/raworc"), "postgres://raworc@127.0.0.1:5432/raworc");
  });
});

describe("checkDatabaseReachable", function () {
  this.timeout(60_000);

  it("quickly names the masked URL and the reason when nothing listens", async () => {
    const closed = createServer();
    const port = await listen(closed);
    closed.close();
    const started = Date.now();

    await assert.rejects(checkDatabaseReachable(`postgres://raworc:s3cret@127.0.0.1:${port}/raworc`, 5000), {
      message: `cannot reach PostgreSQL at postgres://raworc:***@127.0.0.1:${port}/raworc: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
    assert.ok(Date.now() - started < 1000);
  });

  it("gives up after the timeout when the server never answers", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const started = Date.now();
    try {
      const error = await checkDatabaseReachable(`postgres://raworc:s3cret@127.0.0.1:${port}/raworc`, 300).then(
        () => assert.fail("expected the check to fail"),
        (err: unknown) => err as Error,
      );
      assert.match(error.message, /^cannot reach PostgreSQL at postgres:\/\/raworc:\*\*\*@127\.0\.0\.1:\d+\/raworc: .*timeout/);
      assert.ok(Date.now() - started < 2000);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  describe("against a real server", () => {
    let database: TestDatabase;
    before(async () => (database = await createTestDatabase()));
    after(async () => database?.drop());

    it("passes when the database answers", async () => {
      await checkDatabaseReachable(database.url, 5000);
    });

    it("reports a wrong password in one line without revealing it", async () => {
      const url = new URL(database.url);
      url.password = "not-the-password";
      const error = await checkDatabaseReachable(url.toString(), 5000).then(
        () => assert.fail("expected the check to fail"),
        (err: unknown) => err as Error,
      );
      assert.ok(error.message.startsWith(`cannot reach PostgreSQL at ${maskDatabaseUrl(url.toString())}: password authentication failed`), error.message);
      assert.doesNotMatch(error.message, /\n/);
      assert.doesNotMatch(error.message, /not-the-password/);
    });
  });
});
