import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { LogSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { RuntimeService } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { createRuntimeService } from "../api/runtime-service.js";
import { Authenticator } from "../auth/authenticator.js";
import { issueDaemonToken, type DaemonTokenSettings } from "../auth/daemon-auth.js";
import { importKeySet, loadOrCreateKeySet } from "../auth/keyring.js";
import { LoginThrottle } from "../auth/throttle.js";
import { authorizationInterceptor } from "../interceptors/authorization.js";
import { Authorizer } from "../rbac/authorizer.js";
import { AgentStore } from "../store/agents.js";
import type { Orm } from "../store/orm.js";
import { ServiceAccountStore } from "../store/service-accounts.js";
import { TestDaemon } from "./attach/test-daemon.js";
import { appendEvent } from "./event-log.js";
import { Notifier } from "./notifier.js";
import { SessionStore } from "./session-store.js";
import { watchSessionEvents, type WatchDependencies } from "./watch.js";

/** RuntimeService alone, on port 0, handing stored batches to `notifier` as the full server does. */
async function startAttachServer(orm: Orm, settings: DaemonTokenSettings, notifier: Notifier) {
  const authenticator = new Authenticator({
    accounts: new ServiceAccountStore(orm),
    keyring: settings.keyring,
    throttle: new LoginThrottle(),
    issuer: settings.issuer,
    tokenTtlSeconds: 3600,
    sessions: new SessionStore(orm),
  });
  const secrets = { readData: () => Promise.reject(new Error("no secrets here")) };
  const handler = connectNodeAdapter({
    routes: (router) => router.service(RuntimeService, createRuntimeService({ orm, secrets, notifier })),
    interceptors: [authorizationInterceptor(authenticator, new Authorizer(orm))],
  });
  const server = http2.createServer(handler);
  const open = new Set<http2.Http2Session>();
  server.on("session", (s) => open.add(s).size && s.once("close", () => open.delete(s)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("watch fed from stored batches (real PostgreSQL, real attach stream)", function () {
  this.timeout(30_000);
  let server: TestServer;
  let orm: Orm;
  let sessions: SessionStore;
  let notifier: Notifier;
  let attach: Awaited<ReturnType<typeof startAttachServer>>;
  let settings: DaemonTokenSettings;
  const daemons: TestDaemon[] = [];

  before(async () => {
    server = await startTestServer({ reconcile: false });
    orm = server.server.orm;
    sessions = new SessionStore(orm);
    settings = { keyring: await importKeySet(await loadOrCreateKeySet(join(server.dataDir, "keys", "jwks.json"))), issuer: "raworc" };
    notifier = new Notifier(server.databaseUrl);
    await notifier.start();
    attach = await startAttachServer(orm, settings, notifier);
    const spec = create(AgentSpecSchema, { instructions: "help", model: { provider: ModelProvider.SCRIPTED } });
    await new AgentStore(orm).create({ namespace: "default", name: "helper" }, { spec, labels: {}, annotations: {} });
  });
  afterEach(() => {
    for (const d of daemons.splice(0)) d.close();
  });
  after(async () => {
    await attach?.close();
    await notifier?.close();
    await server?.stop();
  });

  /** A daemon attached to a new session, past Welcome. */
  async function attached() {
    const session = await sessions.create({ namespace: "default", name: "", spec: { agents: ["helper"] }, labels: {}, annotations: {}, creator: {}, runtime: "process" });
    const d = new TestDaemon(attach.url, (await issueDaemonToken(settings, session)).token);
    daemons.push(d);
    d.hello(session.id);
    assert.equal((await d.receive()).payload.case, "welcome");
    return { session, d };
  }

  /**
   * Watch dependencies that hear no NOTIFY hint and poll only after a minute: with them, an event
   * reaches the watch within the test's timeout only as a batch handed over by this process's
   * commit (or through the read a gap in those batches causes).
   */
  const feedOnly = (): WatchDependencies => ({ orm, notifier: { subscribe: () => () => undefined, subscribeStored: (id, listener) => notifier.subscribeStored(id, listener) } });

  /** Collects the seqs and delta texts the watch sends until `count` events have arrived; `afterFirst` runs (the watch unread) once the first has. */
  async function watchUntil(deps: WatchDependencies, sessionId: string, count: number, afterFirst: () => Promise<void>, pageSize?: number) {
    const client = new AbortController();
    const seqs: bigint[] = [];
    const texts: string[] = [];
    const watch = watchSessionEvents(deps, sessionId, 0n, client.signal, { pollMs: 60_000, heartbeatMs: 120_000, ...(pageSize ? { pageSize } : {}) });
    const first = await watch.next();
    await afterFirst();
    for (let next = first; !next.done; next = await watch.next()) {
      const message = next.value.message;
      if (message.case !== "event") continue;
      seqs.push(message.value.seq);
      if (message.value.payload.case === "textDelta") texts.push(message.value.payload.value.text);
      if (seqs.length === count) break;
    }
    client.abort();
    await watch.return(undefined);
    return { seqs, texts };
  }

  const range = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1));

  it("sends a daemon's committed batches without a hint or a poll, and fills a gap from the database, each seq once and in order", async () => {
    const { session, d } = await attached();
    const control = await sessions.withLocked(session.id, (em, row) => appendEvent(em, row, { payload: { case: "log", value: create(LogSchema, { message: "from the control plane" }) } }));
    assert.equal(control, 1n);
    // The watch read seq 1 from the database at its start; everything after it is committed while it follows.
    const seen = await watchUntil(feedOnly(), session.id, 6, async () => {
      d.event(1n, "a");
      d.event(2n, "b");
      await d.ackedThrough(2n);
      // An event stored by another writer is never handed over: the next batch shows the gap.
      await sessions.withLocked(session.id, (em, row) => appendEvent(em, row, { payload: { case: "log", value: create(LogSchema, { message: "another writer" }) } }));
      d.event(3n, "c");
      d.event(4n, "d");
      await d.ackedThrough(4n);
    });
    assert.deepEqual(seen.seqs, range(6));
    assert.deepEqual(seen.texts, ["a", "b", "c", "d"]);
  });

  it("a watch that does not read while a burst is committed drops the held batches beyond a page and reads them back, once each", async () => {
    const { session, d } = await attached();
    const n = 300;
    d.event(1n, "e1");
    await d.ackedThrough(1n);
    const seen = await watchUntil(
      feedOnly(),
      session.id,
      n,
      async () => {
        for (let i = 2; i <= n; i++) d.event(BigInt(i), `e${i}`);
        await d.ackedThrough(BigInt(n));
      },
      50,
    );
    assert.deepEqual(seen.seqs, range(n));
    assert.deepEqual(seen.texts, Array.from({ length: n }, (_, i) => `e${i + 1}`));
  });
});
