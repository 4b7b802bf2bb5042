import assert from "node:assert/strict";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { LogSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { issueDaemonToken, type DaemonTokenSettings } from "../auth/daemon-auth.js";
import { importKeySet, loadOrCreateKeySet } from "../auth/keyring.js";
import { AgentStore } from "../store/agents.js";
import type { Orm } from "../store/orm.js";
import { startAttachServer, type TestAttachServer } from "./attach/test-attach-server.js";
import { TestDaemon } from "./attach/test-daemon.js";
import { appendEvent } from "./event-log.js";
import { Notifier } from "./notifier.js";
import { SessionStore } from "./session-store.js";
import { watchSessionEvents, type WatchDependencies } from "./watch.js";

describe("watch fed from stored batches (real PostgreSQL, real attach stream)", function () {
  this.timeout(30_000);
  let server: TestServer;
  let orm: Orm;
  let sessions: SessionStore;
  let notifier: Notifier;
  let attach: TestAttachServer;
  let settings: DaemonTokenSettings;
  const daemons: TestDaemon[] = [];

  before(async () => {
    server = await startTestServer({ reconcile: false });
    orm = server.server.orm;
    sessions = new SessionStore(orm);
    settings = { keyring: await importKeySet(await loadOrCreateKeySet(join(server.dataDir, "keys", "jwks.json"))), issuer: "raworc" };
    notifier = new Notifier(server.databaseUrl);
    await notifier.start();
    attach = await startAttachServer(orm, settings, { notifier });
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

  /** Resolves a waiter whenever something the test watches changes. */
  function changes() {
    let wake: (() => void) | undefined;
    return {
      poke: () => wake?.(),
      /** Resolves once `ready()` holds, re-checking at each poke. */
      until: async (ready: () => boolean) => {
        while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
      },
    };
  }

  /**
   * Follows a watch in the background, on the real ORM with its statements counted (each
   * completed database read of the watch pokes `changed`), until `count` events have arrived;
   * with `pause`, it stops reading once `pause.after` has arrived until `pause.until` resolves.
   */
  function follow(sessionId: string, count: number, options: { pageSize?: number; pause?: { after: bigint; until: Promise<void> } } = {}) {
    const { pageSize, pause } = options;
    const changed = changes();
    const seen = { seqs: [] as bigint[], texts: [] as string[], statements: 0 };
    const counted = {
      em: {
        fork: () => {
          const em = orm.em.fork();
          const execute = em.execute.bind(em);
          em.execute = (async (...args: Parameters<typeof execute>) => {
            const result = await execute(...args);
            seen.statements++;
            changed.poke();
            return result;
          }) as typeof em.execute;
          return em;
        },
      },
    } as unknown as Orm;
    const client = new AbortController();
    const deps = { ...feedOnly(), orm: counted };
    const done = (async () => {
      for await (const res of watchSessionEvents(deps, sessionId, 0n, client.signal, { pollMs: 60_000, heartbeatMs: 120_000, ...(pageSize ? { pageSize } : {}) })) {
        if (res.message.case !== "event") continue;
        seen.seqs.push(res.message.value.seq);
        if (res.message.value.payload.case === "textDelta") seen.texts.push(res.message.value.payload.value.text);
        changed.poke();
        if (seen.seqs.length === count) break;
        if (pause && res.message.value.seq === pause.after) await pause.until;
      }
      client.abort();
    })();
    return { seen, until: changed.until, done };
  }

  const range = (n: number) => Array.from({ length: n }, (_, i) => BigInt(i + 1));

  it("sends a daemon's committed batches without reading them back, and fills a gap from the database, each seq once and in order", async () => {
    const { session, d } = await attached();
    const control = await sessions.withLocked(session.id, (em, row) => appendEvent(em, row, { payload: { case: "log", value: create(LogSchema, { message: "from the control plane" }) } }));
    assert.equal(control, 1n);
    const watch = follow(session.id, 6);
    // Caught up: the page (sizes, payloads) and the session's state have been read; it waits now.
    await watch.until(() => watch.seen.statements >= 3);
    const caughtUp = watch.seen.statements;
    d.event(1n, "a");
    d.event(2n, "b");
    await d.ackedThrough(2n);
    await watch.until(() => watch.seen.seqs.length >= 3);
    assert.equal(watch.seen.statements, caughtUp, "the committed batch was handed over, not read back");
    // An event stored by another writer is never handed over: the next batch shows the gap, and the watch reads.
    await sessions.withLocked(session.id, (em, row) => appendEvent(em, row, { payload: { case: "log", value: create(LogSchema, { message: "another writer" }) } }));
    d.event(3n, "c");
    d.event(4n, "d");
    await d.ackedThrough(4n);
    await watch.done;
    assert.deepEqual(watch.seen.seqs, range(6));
    assert.deepEqual(watch.seen.texts, ["a", "b", "c", "d"]);
    assert.ok(watch.seen.statements > caughtUp, "the gap was filled from the database");
  });

  it("a watch that stops reading while more than it may hold is committed forgets the held batches and reads them back, each event once", async () => {
    const { session, d } = await attached();
    const n = 300;
    let resume!: () => void;
    const watch = follow(session.id, n, { pageSize: 50, pause: { after: 1n, until: new Promise<void>((resolve) => (resume = resolve)) } });
    // Caught up with an empty log: one page query and the session's state have been read.
    await watch.until(() => watch.seen.statements >= 2);
    const before = watch.seen.statements;
    d.event(1n, "e1");
    await d.ackedThrough(1n);
    // e1 is handed over; the client stops reading and the rest is committed meanwhile.
    await watch.until(() => watch.seen.seqs.length >= 1);
    assert.equal(watch.seen.statements, before, "e1 came as a committed batch");
    for (let i = 2; i <= n; i++) d.event(BigInt(i), `e${i}`);
    await d.ackedThrough(BigInt(n));
    resume();
    await watch.done;
    assert.deepEqual(watch.seen.seqs, range(n));
    assert.deepEqual(watch.seen.texts, Array.from({ length: n }, (_, i) => `e${i + 1}`));
    assert.ok(watch.seen.statements > before, "what was dropped beyond the bound was read back");
  });
});
