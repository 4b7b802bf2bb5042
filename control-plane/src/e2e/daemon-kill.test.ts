/**
 * Fault: kill -9 of a session's daemon in the middle of a streamed reply. The reconciler
 * restarts it (STARTING, then READY), the restarted daemon closes the cut-short turn as
 * TurnFailed(Interrupted) — it never replays a reply —, a message sent while no daemon ran is
 * answered once by the new one, and a watcher from seq 0 sees every stored event exactly once,
 * in order, with no delta of a reply repeated.
 */
import assert from "node:assert/strict";
import type { Client } from "@connectrpc/connect";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import {
  assertPrefixOfScript,
  assertSawLogExactlyOnce,
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
  turnEnd,
  Watcher,
} from "./fault-support.js";

const CHUNKS = 40;

describe("fault: kill -9 of the daemon during a streamed reply (real server, real daemons)", function () {
  this.timeout(60_000);
  let t: TestServer;
  let sessions: Client<typeof SessionService>;
  let watcher: Watcher | undefined;

  before(async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    sessions = clientOf(SessionService, t.url, token);
    await clientOf(AgentService, t.url, token).createAgent({ agent: streamingAgent("streamer", CHUNKS, 100) });
  });
  after(async () => {
    await watcher?.stop();
    await t?.stop();
  });

  it("restarts the daemon, ends the turn as Interrupted, and the watcher sees every event once", async () => {
    const { session } = await sessions.createSession({ session: { metadata: ref("victim"), spec: { agents: ["streamer"] } } });
    const id = session!.metadata!.uid;
    const ready = await eventually("READY", () => sessions.getSession({ ref: ref("victim") }), (r) => r.session?.status?.state === SessionState.READY);
    const pid = Number(ready.session?.status?.runtime?.handle);
    assert.ok(pid > 0, "the runtime reports the daemon's pid as its handle");
    assert.deepEqual(await daemonPids(id), [pid], "one daemon runs, the one the handle names");

    watcher = new Watcher(() => sessions, "victim");
    await sessions.sendMessage({ ref: ref("victim"), text: "talk for a while" });
    await watcher.waitForCount("a few deltas of turn 1", isDelta(1), 5);

    process.kill(-pid, "SIGKILL"); // the daemon's whole process group, as an OOM kill or a crash would
    // A message sent while no daemon runs waits for the next one and is answered once.
    await sessions.sendMessage({ ref: ref("victim"), text: "are you there?" });

    // The restarted daemon closes the cut-short turn: it does not replay half a reply.
    const end = await watcher.waitFor("the end of turn 1", (e) => turnEnd([e], 1) !== undefined);
    assert.equal(end.payload.case, "turnFailed", "an interrupted turn ends as failed");
    assert.equal(end.payload.case === "turnFailed" ? end.payload.value.reason : "", "Interrupted");
    await watcher.waitFor("turn 2 completed", (e) => e.turn === 2 && e.payload.case === "turnCompleted");
    await eventually("READY again", () => sessions.getSession({ ref: ref("victim") }), (r) => r.session?.status?.state === SessionState.READY);
    await watcher.stop();
    const stored = await listAllEvents(sessions, "victim");
    assertSawLogExactlyOnce(watcher, stored);

    const interrupted = replyOf(stored, 1);
    assertPrefixOfScript(interrupted, CHUNKS);
    assert.ok(interrupted.length > 0 && interrupted.length < fullReply(CHUNKS).length, "turn 1 was cut in the middle");
    assert.equal(replyOf(stored, 2), fullReply(CHUNKS), "turn 2 streamed the whole reply once");
    for (const turn of [1, 2]) assert.equal(stored.filter((e) => e.payload.case === "turnStarted" && e.turn === turn).length, 1, `turn ${turn} started once`);
    assert.equal(stored.filter((e) => e.payload.case === "turnStarted").length, 2, "no other turn ran: each message was applied once");

    // BUSY → STARTING (the crash) → READY (the new daemon): one restart, reported with its cause.
    const moves = transitions(stored);
    const crash = moves.indexOf("BUSY>STARTING:DaemonExited");
    assert.ok(crash >= 0, `the crash is a transition: ${moves.join(", ")}`);
    assert.equal(moves[crash + 1], "STARTING>READY:DaemonReady", `then the new daemon is ready: ${moves.join(", ")}`);
    assert.equal(moves.filter((m) => m.includes(">STARTING:")).length, 2, `started twice in all (create and restart): ${moves.join(", ")}`);

    // Exactly one daemon was started again, and only it runs.
    assert.equal(await daemonStarts(t.dataDir, id), 2, "the daemon was started once more, not several times");
    const now = await daemonPids(id);
    assert.equal(now.length, 1, "one daemon runs");
    assert.notEqual(now[0], pid, "it is a new process");
    const after = await sessions.getSession({ ref: ref("victim") });
    assert.equal(Number(after.session?.status?.runtime?.handle), now[0], "the handle names the new daemon");

    // Daemon events are stored in daemon-seq order, each once: nothing acknowledged was stored again.
    const rows = await t.server.orm.em
      .fork()
      .execute<{ daemon_seq: string }[]>(`select daemon_seq from session_events where session_id = ? and daemon_seq is not null order by seq`, [id]);
    const daemonSeqs = rows.map((r) => Number(r.daemon_seq));
    assert.deepEqual(daemonSeqs, [...daemonSeqs].sort((a, b) => a - b), "daemon events keep the daemon's order");
    assert.equal(new Set(daemonSeqs).size, daemonSeqs.length, "no daemon seq is stored twice");
  });
});
