/**
 * Two control-plane processes on one database and one data directory (issue 4, item 9). Both
 * run a reconciler over the same sessions, and the process runtime of each sees the same
 * session directories (as replicas on one host would; on Kubernetes they would share the
 * cluster instead). Sessions are created through both at once, so both reconcilers race for
 * every start, every restart after a crash and every pause. What shows that only one replica
 * acted each time:
 *
 * - each session has exactly one daemon process, and its daemon.log shows one start per
 *   (re)start the session needed — a second replica acting would have spawned a second one;
 * - each session's `session_transitions` rows form one chain (each `from` is the previous
 *   `to`) with one Scheduled start, one DaemonExited restart per crash, one pause: a replica
 *   acting on a stale view would break the chain or repeat a step.
 *
 * Events fan out through the database: a message sent through one replica to a daemon attached
 * to the other is answered once, and a watcher on either sees it. And when one replica is
 * killed, daemons that attach through a shared address (RAWORC_DAEMON_CONTROL_PLANE_URL, here a
 * small balancer) reattach to the other and finish their replies: nothing lost, nothing doubled.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { procStrings } from "@raworc/test-support/processes/process-checks.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase } from "@raworc/test-support/database.js";
import { startSilentProxy } from "@raworc/test-support/silent-proxy.js";
import pg from "pg";
import {
  assertSawLogExactlyOnce,
  daemonLogLines,
  destroyLeftovers,
  daemonPids,
  daemonStarts,
  eventually,
  fullReply,
  isDelta,
  listAllEvents,
  ref,
  replyOf,
  streamingAgent,
  transitions,
  Watcher,
} from "./fault-support.js";

const SESSIONS = 6;
const CHUNKS = 5;
const LONG_CHUNKS = 40;

interface Transition {
  readonly from: string;
  readonly to: string;
  readonly reason: string;
}

describe("two control planes on one database and data directory (child processes, real daemons)", function () {
  this.timeout(90_000);
  const adminPassword = randomBytes(12).toString("base64url");
  const cleanups: (() => Promise<void>)[] = [];
  const watchers: Watcher[] = [];

  after(async () => {
    for (const w of watchers) await w.stop();
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A database, a data directory and two control planes on them, started one after the other (the first creates the schema and the admin). */
  async function twoReplicas(env?: Record<string, string>) {
    const db = await createTestDatabase();
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-two-cps-"));
    const planes: ControlPlaneProcess[] = [];
    cleanups.push(async () => {
      for (const plane of planes) await plane.stop();
      // Daemons outlive control planes by design; the test's must not outlive the test.
      await destroyLeftovers(dataDir);
      await db.drop();
      await rm(dataDir, { recursive: true, force: true });
    });
    for (let i = 0; i < 2; i++) planes.push(await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword, ...(env ? { env } : {}) }));
    const [a, b] = planes as [ControlPlaneProcess, ControlPlaneProcess];
    const token = await login(a.url, "admin", adminPassword);
    return { db, dataDir, a, b, clientA: clientOf(SessionService, a.url, token), clientB: clientOf(SessionService, b.url, token), agents: clientOf(AgentService, a.url, token) };
  }

  async function transitionsOf(databaseUrl: string, id: string): Promise<Transition[]> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ from_state: string; to_state: string; reason: string }>(
        `select from_state, to_state, reason from session_transitions where session_id = $1 order by id`,
        [id],
      );
      return rows.map((r) => ({ from: r.from_state, to: r.to_state, reason: r.reason }));
    } finally {
      await client.end();
    }
  }

  /** One chain from PENDING, each step starting where the previous ended. */
  function assertOneChain(id: string, moves: readonly Transition[]): void {
    const text = moves.map((m) => `${m.from}>${m.to}:${m.reason}`).join(", ");
    assert.equal(moves[0]?.from, "pending", `${id}: ${text}`);
    moves.forEach((m, i) => i > 0 && assert.equal(m.from, moves[i - 1]!.to, `${id}: a broken chain means two writers: ${text}`));
  }

  const count = (moves: readonly Transition[], from: string, to: string, reason: string) =>
    moves.filter((m) => (m.from === from || from === "*") && m.to === to && m.reason === reason).length;

  it("starts, restarts and pauses each session once, whichever replica acts, and serves its events from both", async () => {
    const { db, dataDir, a, b, clientA, clientB, agents } = await twoReplicas();
    await agents.createAgent({ agent: streamingAgent("streamer", CHUNKS, 20) });

    // Created through both at once: both reconcilers hear of every session and race to start it.
    const names = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);
    const created = await Promise.all(
      names.map((name, i) => (i % 2 ? clientB : clientA).createSession({ session: { metadata: ref(name), spec: { agents: ["streamer"] } } })),
    );
    const ids = created.map((c) => c.session!.metadata!.uid);
    const allIn = (state: SessionState) =>
      eventually(`all ${SessionState[state]}`, () => clientB.listSessions({ namespace: "default", states: [state] }), (r) => r.sessions.length === SESSIONS, 45_000);
    await allIn(SessionState.READY);

    const attachedTo = new Map<string, string>();
    for (const id of ids) {
      const pids = await daemonPids(id);
      assert.equal(pids.length, 1, `session ${id} has exactly one daemon`);
      assert.equal(await daemonStarts(dataDir, id), 1, `session ${id} was started once`);
      const args = await procStrings(pids[0]!, "cmdline");
      attachedTo.set(id, args[args.indexOf("--control-plane") + 1] ?? "");
      assert.ok([a.url, b.url].includes(attachedTo.get(id)!), "the daemon attaches to the replica that started it");
    }

    // Each message goes through the replica the daemon is not attached to; each reply is watched on the other.
    const replies: Watcher[] = [];
    for (const [i, name] of names.entries()) {
      const viaA = attachedTo.get(ids[i]!) === b.url;
      const watcher = new Watcher(() => (viaA ? clientB : clientA), name);
      watchers.push(watcher);
      replies.push(watcher);
      await (viaA ? clientA : clientB).sendMessage({ ref: ref(name), text: "hello" });
    }
    for (const [i, name] of names.entries()) {
      const watcher = replies[i]!;
      await watcher.waitFor(`${name}: turn 1 completed`, (e) => e.turn === 1 && e.payload.case === "turnCompleted");
      await watcher.stop();
      const stored = await listAllEvents(clientA, name);
      assertSawLogExactlyOnce(watcher, stored.slice(0, watcher.events.length));
      assert.equal(replyOf(stored, 1), fullReply(CHUNKS), `${name}: answered once`);
    }

    // Every daemon killed at once: both replicas see each exit; each session is restarted once.
    const killed = await Promise.all(ids.map(async (id) => (await daemonPids(id))[0]!));
    for (const pid of killed) process.kill(-pid, "SIGKILL");
    await eventually(
      "every session restarted on a new daemon",
      () => Promise.all(ids.map((id) => daemonPids(id))),
      (all) => all.every((pids, i) => pids.length === 1 && pids[0] !== killed[i]),
      45_000,
    );
    await allIn(SessionState.READY);
    for (const id of ids) {
      assert.equal((await daemonPids(id)).length, 1, `session ${id} has exactly one daemon after the crash`);
      assert.equal(await daemonStarts(dataDir, id), 2, `session ${id} was restarted once`);
    }

    // Paused through one replica: each pause is carried out once.
    await Promise.all(names.map((name) => clientB.pauseSession({ ref: ref(name) })));
    await allIn(SessionState.PAUSED);
    for (const id of ids) assert.deepEqual(await daemonPids(id), [], `session ${id} has no daemon while paused`);

    for (const id of ids) {
      const moves = await transitionsOf(db.url, id);
      assertOneChain(id, moves);
      assert.equal(count(moves, "pending", "starting", "Scheduled"), 1, `${id}: one first start`);
      assert.equal(count(moves, "*", "starting", "DaemonExited"), 1, `${id}: one restart for one crash`);
      assert.equal(count(moves, "starting", "ready", "DaemonReady"), 2, `${id}: ready once per daemon`);
      assert.equal(count(moves, "ready", "pausing", "UserPaused"), 1, `${id}: one pause`);
      assert.equal(count(moves, "pausing", "paused", "Paused"), 1, `${id}: paused once`);
    }

    // Deleted through the other: the volumes go, once.
    await Promise.all(names.map((name) => clientA.deleteSession({ ref: ref(name) })));
    await allIn(SessionState.TERMINATED);
    for (const id of ids) {
      assert.equal(existsSync(join(dataDir, "sessions", id)), false, `session ${id}'s directory is removed`);
      const moves = await transitionsOf(db.url, id);
      assertOneChain(id, moves);
      assert.equal(count(moves, "*", "terminated", "Deleted"), 1, `${id}: terminated once`);
    }
  });

  it("when a replica is killed mid-reply, its daemons reattach to the other through the shared address; nothing lost or doubled", async () => {
    const balancer = await startSilentProxy();
    cleanups.push(() => balancer.close());
    const { a, b, clientB, agents, dataDir } = await twoReplicas({ RAWORC_DAEMON_CONTROL_PLANE_URL: balancer.url });
    // Daemon connections take turns between the replicas and skip one that refuses.
    balancer.setTargets([a, b].map((plane) => ({ host: "127.0.0.1", port: plane.port })));
    await agents.createAgent({ agent: streamingAgent("talker", LONG_CHUNKS, 100) });

    const names = ["f0", "f1", "f2", "f3"];
    const ids: string[] = [];
    for (const name of names) ids.push((await clientB.createSession({ session: { metadata: ref(name), spec: { agents: ["talker"] } } })).session!.metadata!.uid);
    await eventually("all READY", () => clientB.listSessions({ namespace: "default", states: [SessionState.READY] }), (r) => r.sessions.length === names.length, 45_000);
    const pids = await Promise.all(ids.map(async (id) => (await daemonPids(id))[0]!));

    const followers = names.map((name) => new Watcher(() => clientB, name));
    watchers.push(...followers);
    for (const name of names) await clientB.sendMessage({ ref: ref(name), text: "talk for a while" });
    for (const [i, follower] of followers.entries()) await follower.waitForCount(`${names[i]}: a few deltas`, isDelta(1), 3);

    await a.kill("SIGKILL");

    for (const [i, follower] of followers.entries()) {
      await follower.waitFor(`${names[i]}: turn 1 completed`, (e) => e.turn === 1 && e.payload.case === "turnCompleted", 45_000);
      await follower.stop();
    }
    let moved = 0;
    for (const [i, name] of names.entries()) {
      const stored = await listAllEvents(clientB, name);
      assertSawLogExactlyOnce(followers[i]!, stored.slice(0, followers[i]!.events.length));
      assert.equal(replyOf(stored, 1), fullReply(LONG_CHUNKS), `${name}: the whole reply, every chunk once, in order`);
      assert.deepEqual(transitions(stored).filter((m) => m.includes(">STARTING:")), ["PENDING>STARTING:Scheduled"], `${name}: never restarted`);
      assert.deepEqual(await daemonPids(ids[i]!), [pids[i]], `${name}: the same daemon, alone`);
      assert.equal(await daemonStarts(dataDir, ids[i]!), 1);
      if ((await daemonLogLines(dataDir, ids[i]!, "attach stream ended; reconnecting")).length > 0) moved++;
    }
    assert.ok(moved >= 1, "some daemons were attached to the killed replica and moved to the other");
  });
});
