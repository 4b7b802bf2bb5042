import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import pg from "pg";
import { loadServerConfig } from "./config.js";
import { ConfigurationError } from "./errors.js";

describe("the database pool (RAWORC_DATABASE_POOL_SIZE)", function () {
  this.timeout(120_000);

  it("is configurable, defaults to 20, and refuses sizes that cannot work", () => {
    const env = { RAWORC_DATABASE_URL: "postgres://127.0.0.1/raworc" };
    assert.equal(loadServerConfig({}, env).databasePoolSize, 20);
    assert.equal(loadServerConfig({}, { ...env, RAWORC_DATABASE_POOL_SIZE: "64" }).databasePoolSize, 64);
    for (const bad of ["1", "0", "-3", "2.5", "many"]) {
      assert.throws(() => loadServerConfig({}, { ...env, RAWORC_DATABASE_POOL_SIZE: bad }), (error: unknown) => {
        assert.ok(error instanceof ConfigurationError);
        assert.match(error.message, /^invalid configuration: RAWORC_DATABASE_POOL_SIZE /);
        return true;
      });
    }
  });

  describe("when every connection is taken", () => {
    let server: TestServer;
    let locker: pg.Client | undefined;

    before(async () => {
      // Two connections, and no reconciler competing for them.
      server = await startTestServer({ config: { databasePoolSize: 2 }, reconcile: false });
    });
    after(async () => {
      await locker?.end().catch(() => undefined);
      await server?.stop();
    });

    it("answers a call that gets no connection within its wait UNAVAILABLE, never INTERNAL, and serves again once one is free", async () => {
      const namespaces = clientOf(NamespaceService, server.url, await login(server.url, "admin", server.adminPassword));
      // A transaction elsewhere holds the namespaces table, so the calls that read it keep their
      // connection until it ends; the calls beyond the pool's two wait for one and give up.
      locker = new pg.Client({ connectionString: server.databaseUrl });
      await locker.connect();
      await locker.query("begin");
      await locker.query("lock table namespaces in access exclusive mode");
      const calls = Array.from({ length: 4 }, () =>
        namespaces.listNamespaces({}).then(
          () => "ok" as const,
          (error: unknown) => Code[ConnectError.from(error).code],
        ),
      );
      // Released only once some call has given up waiting, so the held ones then finish.
      const first = await Promise.race(calls);
      await locker.query("rollback");
      const outcomes = await Promise.all(calls);
      assert.equal(first, "Unavailable", "the first call to finish is one that waited for a connection in vain");
      assert.ok(outcomes.every((o) => o === "ok" || o === "Unavailable"), `only OK or UNAVAILABLE: ${outcomes.join(", ")}`);
      assert.ok(outcomes.includes("ok"), `the calls holding connections finished once the lock was gone: ${outcomes.join(", ")}`);
      assert.ok((await namespaces.listNamespaces({})).namespaces.length > 0, "the server serves again");
    });
  });
});
