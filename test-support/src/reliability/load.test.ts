/**
 * Load: many concurrent sessions on real `raworc-agent` daemons (process runtime), each driven
 * through many turns of the scripted agent of docs/examples/scripted-agent.yaml while a
 * streaming WatchSession follows it. The control plane runs as a child process so that its
 * memory can be read from /proc. Asserted: no RPC failed and no watch broke; every turn
 * completed with the script's reply; each watcher saw its session's stored log exactly once,
 * gapless; the daemon seqs stored are exactly 1..(the daemon's own last seq, from its state
 * file), all acknowledged; and the control plane's RSS stays under a stated bound.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "../clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "../control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "../database.js";
import { assertSawLogExactlyOnce, destroyLeftovers, listAllEvents, ref, replyOf, Watcher } from "../fault-support.js";
import { createAgentWithCli } from "./cli-agent.js";
import { DatabaseActivity } from "./database-activity.js";
import { daemonCount, storedDaemonSeqs } from "./daemon-count.js";
import { processMemory, type ProcessMemory } from "./process-memory.js";

const SESSIONS = Number(process.env.RAWORC_LOAD_SESSIONS ?? 100);
/**
 * Turns per session: the issue asks for 20, but on the 2-core CI machine 100 × 20 does not fit
 * the suite's 10-minute budget (see the README's Reliability section for what it measured), so
 * the default keeps all 100 concurrent sessions and watchers and scales the turns.
 */
const TURNS = Number(process.env.RAWORC_LOAD_TURNS ?? 5);
/** docs/examples/scripted-agent.yaml: its one turn streams these three chunks, whatever the message. */
const REPLY = "Hello! I am a scripted agent, replying without a model.";
const REPLY_CHUNKS = 3;
/**
 * The bound on the control plane's RSS after the run: the memory target is 150 MB plus
 * 50 KB per idle session; sessions under load also hold an attach stream, a watch stream, a
 * database pool share and their HTTP/1.1 and HTTP/2 buffers (measured: about 1.7 MiB each at
 * 100 sessions), so we allow 2 MiB per session on
 * top of a 200 MiB base (the base covers tsx's in-process compiler, which `raworc start`
 * shares). A leak of a few KiB per event (100 × 20 × ~8 events) would exceed it.
 */
const RSS_BOUND_MIB = 200 + 2 * SESSIONS;
/** How long the sessions are watched while quiet to measure the idle query rate. */
const IDLE_WINDOW_MS = 15_000;
/** PostgreSQL backends report their transaction counts at most this late (PGSTAT_IDLE_INTERVAL). */
const STATS_FLUSH_MS = 10_000;

describe(`load: ${SESSIONS} concurrent sessions × ${TURNS} turns, each watched (real daemons, control plane in a child process)`, function () {
  // Room for daemons to start and about a second per turn of a session; RAWORC_LOAD_TURNS=20 gets longer.
  this.timeout(240_000 + SESSIONS * TURNS * 1000);
  let db: TestDatabase;
  let dataDir: string;
  let plane: ControlPlaneProcess | undefined;
  let activity: DatabaseActivity | undefined;
  const watchers = new Map<string, Watcher>();
  const adminPassword = randomBytes(12).toString("base64url");
  let turnsCompleted = 0;

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-load-"));
  });
  after(async () => {
    // A run cut short by its timeout still says how far it got.
    console.log(`      load: ${turnsCompleted} of ${SESSIONS * TURNS} turns completed`);
    await Promise.all([...watchers.values()].map((w) => w.stop()));
    await activity?.close();
    await plane?.stop();
    if (dataDir) await destroyLeftovers(dataDir);
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("completes every turn with no error, no lost or doubled event, and bounded control-plane memory", async () => {
    plane = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword });
    const { url, pid } = plane;
    const token = await login(url, "admin", adminPassword);
    const sessions: Client<typeof SessionService> = clientOf(SessionService, url, token);
    await createAgentWithCli(url, token, "docs/examples/scripted-agent.yaml");
    const before = await processMemory(pid);
    const probe = (activity = await DatabaseActivity.open(db.url));
    const atStart = await probe.sample();

    let sampled: ProcessMemory = before;
    let peakConnections = atStart.connections;
    let peakActive = atStart.active;
    const sampler = setInterval(() => {
      void processMemory(pid).then((m) => (sampled = m.rssMiB > sampled.rssMiB ? m : sampled), () => undefined);
    }, 500);
    const activitySampler = setInterval(() => {
      void probe.sample().then((a) => {
        peakConnections = Math.max(peakConnections, a.connections);
        peakActive = Math.max(peakActive, a.active);
      }, () => undefined);
    }, 2000);
    const names = Array.from({ length: SESSIONS }, (_, i) => `load-${String(i).padStart(3, "0")}`);
    const errors: string[] = [];
    const record = (what: string) => (error: unknown) => {
      errors.push(`${what}: ${error instanceof Error ? error.message : String(error)}`);
    };
    const ids = new Map<string, string>();
    const readyAt: number[] = [];
    const started = Date.now();
    try {
      await Promise.all(
        names.map(async (name) => {
          let step = "CreateSession";
          try {
          const { session } = await sessions.createSession({ session: { metadata: ref(name), spec: { agents: ["greeter"] } } });
          ids.set(name, session!.metadata!.uid);
          const watcher = new Watcher(() => sessions, name);
          watchers.set(name, watcher);
          // The watch says when the session is READY: polling GetSession every 100 ms from 100
          // sessions made ~1,000 calls/s of the test's own during start-up, crowding the pool.
          await watcher.waitFor(`${name} READY`, (e) => e.payload.case === "stateChanged" && e.payload.value.to === SessionState.READY, 240_000);
          readyAt.push(Date.now() - started);
          for (let turn = 1; turn <= TURNS; turn++) {
            step = `SendMessage ${turn}`;
            await sessions.sendMessage({ ref: ref(name), text: `message ${turn}` });
            await watcher.waitFor(`${name} turn ${turn} completed`, (e) => e.turn === turn && e.payload.case === "turnCompleted", 120_000);
            turnsCompleted += 1;
          }
          } catch (error) {
            record(`${name} ${step}`)(error);
          }
        }),
      );
    } finally {
      clearInterval(sampler);
      clearInterval(activitySampler);
    }
    const elapsedMs = Date.now() - started;
    const elapsedS = Math.round(elapsedMs / 1000);
    const after = await processMemory(pid);
    // Database transactions per second under load, then with every session READY and watched
    // but quiet: the idle rate is what polling costs, and it must not grow with the sessions.
    // Backends flush their counters up to 10 s late when idle, so the window starts after that.
    await new Promise((resolve) => setTimeout(resolve, STATS_FLUSH_MS));
    const atEnd = await probe.sample();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const afterIdle = await probe.sample();
    const queriesPerS = {
      load: Math.round((atEnd.transactions - atStart.transactions) / ((elapsedMs + STATS_FLUSH_MS) / 1000)),
      idle: Math.round(((afterIdle.transactions - atEnd.transactions) / IDLE_WINDOW_MS) * 1000),
    };
    await Promise.all([...watchers.values()].map((w) => w.stop()));
    assert.deepEqual(errors, [], `no RPC failed; the control plane said:\n${plane.output().slice(-3000)}`);
    assert.deepEqual(
      [...watchers].filter(([, w]) => w.reconnects > 0).map(([name, w]) => `${name}: ${w.reconnects}`),
      [],
      "no watch stream broke",
    );

    const daemonSeqs = await storedDaemonSeqs(db.url, [...ids.values()]);
    let events = 0;
    for (const name of names) {
      const id = ids.get(name)!;
      const stored = await listAllEvents(sessions, name);
      events += stored.length;
      assertSawLogExactlyOnce(watchers.get(name)!, stored);
      for (let turn = 1; turn <= TURNS; turn++) {
        assert.equal(replyOf(stored, turn), REPLY, `${name} turn ${turn}: the script's reply, once`);
        assert.equal(stored.filter((e) => e.turn === turn && e.payload.case === "textDelta").length, REPLY_CHUNKS, `${name} turn ${turn}: ${REPLY_CHUNKS} deltas`);
        assert.equal(stored.filter((e) => e.turn === turn && e.payload.case === "turnCompleted").length, 1, `${name} turn ${turn} completed once`);
      }
      assert.equal(stored.filter((e) => e.payload.case === "turnStarted").length, TURNS, `${name}: each message ran one turn`);
      const own = await daemonCount(dataDir, id);
      const seqs = daemonSeqs.get(id) ?? [];
      assert.ok(own.lastDaemonSeq > 0, `${name}: the daemon produced events`);
      assert.deepEqual(seqs, Array.from({ length: own.lastDaemonSeq }, (_, k) => k + 1), `${name}: stored daemon seqs are exactly 1..${own.lastDaemonSeq}, the daemon's own count`);
      assert.equal(own.lastAckedDaemonSeq, own.lastDaemonSeq, `${name}: the daemon saw every event acknowledged`);
    }
    const report = {
      allReadyS: Math.round(Math.max(...readyAt) / 1000),
      sessions: SESSIONS,
      turns: TURNS,
      events,
      elapsedS,
      queriesPerS,
      peakConnections,
      peakActiveQueries: peakActive,
      rssBeforeMiB: before.rssMiB, rssPeakMiB: sampled.rssMiB, rssAfterMiB: after.rssMiB, peakHwmMiB: after.peakMiB, boundMiB: RSS_BOUND_MIB };
    console.log(`      load: ${JSON.stringify(report)}`);
    assert.ok(after.rssMiB <= RSS_BOUND_MIB, `control plane RSS after the run ${after.rssMiB} MiB ≤ ${RSS_BOUND_MIB} MiB (${JSON.stringify(report)})`);
  });
});
