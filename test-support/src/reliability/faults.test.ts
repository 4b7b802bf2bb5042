/**
 * Faults under load: each fault strikes while several sessions (real daemons, control plane in
 * a child process) are streaming replies, each followed by a watcher. Asserted for each: what
 * the user sees (how the turn ends, the RPC codes, the session's state), that the system comes
 * back on its own, and that nothing acknowledged is lost or doubled (every watcher saw its
 * stored log exactly once; the stored daemon seqs are exactly the daemon's own 1..n).
 */
import assert from "node:assert/strict";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { startSilentProxy, type SilentProxy } from "../silent-proxy.js";
import { assertPrefixOfScript, daemonLogLines, daemonPids, eventually, fullReply, ref, replyOf, transitions, turnEnd } from "../fault-support.js";
import { Fleet } from "./faults-fleet.js";
import { startFaultPlane, STREAM_CHUNKS, type FaultPlane } from "./faults-plane.js";

/** Busy sessions per fault: enough that the fault hits many streams at once, few enough for 2 cores. */
const BUSY = 6;

describe("faults under load (real daemons, control plane in a child process)", function () {
  this.timeout(120_000);
  let plane: FaultPlane | undefined;
  let fleet: Fleet | undefined;
  let proxy: SilentProxy | undefined;

  afterEach(async () => {
    await fleet?.stop();
    await plane?.close();
    await proxy?.close();
    fleet = plane = proxy = undefined;
  });

  it(`kill -9 of a daemon mid-turn, ${BUSY} sessions busy: its turn fails Interrupted, the daemon is restarted, the next message completes, nothing lost`, async () => {
    plane = await startFaultPlane();
    fleet = await Fleet.start(plane, "dk", BUSY);
    const [victim, ...others] = fleet.members;
    const { session } = await plane.sessions.getSession({ ref: ref(victim!.name) });
    const pid = Number(session?.status?.runtime?.handle);
    assert.deepEqual(await daemonPids(victim!.id), [pid], "the handle names the victim's one daemon");

    await fleet.talk(1, "talk for a while");
    process.kill(-pid, "SIGKILL"); // the daemon's process group, as an OOM kill would

    const end = await victim!.watcher.waitFor("the victim's turn 1 ended", (e) => turnEnd([e], 1) !== undefined, 60_000);
    assert.equal(end.payload.case, "turnFailed", "the cut-short turn ends as failed");
    assert.equal(end.payload.case === "turnFailed" ? end.payload.value.reason : "", "Interrupted");
    await fleet.turnEnded(1, 60_000, (e) => turnEnd([e], 1) !== undefined);
    await fleet.allReady();
    const now = await daemonPids(victim!.id);
    assert.equal(now.length, 1, "one daemon runs for the victim");
    assert.notEqual(now[0], pid, "a new one");

    await fleet.talk(2, "are you back?");
    await fleet.turnEnded(2);
    const logs = await fleet.assertNothingLost();
    const victimLog = logs.get(victim!.name)!;
    assertPrefixOfScript(replyOf(victimLog, 1), STREAM_CHUNKS);
    assert.equal(replyOf(victimLog, 2), fullReply(STREAM_CHUNKS), "the victim's next turn streamed its whole reply once");
    assert.ok(transitions(victimLog).includes("BUSY>STARTING:DaemonExited"), `the crash shows as a transition: ${transitions(victimLog).join(", ")}`);
    for (const m of others) {
      const log = logs.get(m.name)!;
      for (const turn of [1, 2]) assert.equal(replyOf(log, turn), fullReply(STREAM_CHUNKS), `${m.name} turn ${turn}: untouched by the other session's crash`);
      assert.deepEqual(transitions(log).filter((t) => t.includes(">STARTING:")), ["PENDING>STARTING:Scheduled"], `${m.name} was never restarted`);
    }
  });

  it(`kill -9 of the control plane mid-stream, ${BUSY} sessions busy: a restart adopts the daemons, which resend; watchers resume; nothing lost or doubled`, async () => {
    plane = await startFaultPlane();
    fleet = await Fleet.start(plane, "ck", BUSY);
    const pids = await Promise.all(fleet.members.map((m) => daemonPids(m.id)));

    await fleet.talk(1, "talk for a while");
    await plane.process.kill("SIGKILL");
    // The daemons keep streaming into their outboxes while no control plane runs.
    for (const m of fleet.members) await eventually(`${m.name}'s daemon notices`, () => daemonLogLines(plane!.dataDir, m.id, "attach stream ended; reconnecting"), (l) => l.length > 0);
    await plane.restart();

    await fleet.turnEnded(1, 60_000);
    await fleet.allReady();
    await fleet.talk(2, "still there?");
    await fleet.turnEnded(2);
    const logs = await fleet.assertNothingLost();
    for (const [i, m] of fleet.members.entries()) {
      const log = logs.get(m.name)!;
      for (const turn of [1, 2]) assert.equal(replyOf(log, turn), fullReply(STREAM_CHUNKS), `${m.name} turn ${turn}: the whole reply, every chunk once`);
      assert.ok(m.watcher.reconnects >= 1, `${m.name}: the watch broke with the control plane and resumed from its cursor`);
      assert.deepEqual(await daemonPids(m.id), pids[i], `${m.name}: the same daemon, adopted, never a second one`);
      const welcomes = await daemonLogLines(plane.dataDir, m.id, "welcomed");
      assert.ok(welcomes.slice(1).some((w) => Number(w.pending) > 0), `${m.name}: what the killed control plane had not acknowledged was resent: ${JSON.stringify(welcomes)}`);
    }
  });

  it(`a half-open connection between daemons and control plane, ${BUSY} sessions busy: heartbeats detect it, the daemons reattach, nothing lost`, async () => {
    proxy = await startSilentProxy();
    plane = await startFaultPlane({ env: { RAWORC_DAEMON_CONTROL_PLANE_URL: proxy.url, RAWORC_DAEMON_HEARTBEAT_SECONDS: "1" } });
    proxy.setTargets([{ host: "127.0.0.1", port: plane.process.port }]);
    fleet = await Fleet.start(plane, "ho", BUSY);
    const pids = await Promise.all(fleet.members.map((m) => daemonPids(m.id)));

    await fleet.talk(1, "talk for a while");
    proxy.cut();
    for (const m of fleet.members) {
      await eventually(
        `${m.name}'s daemon drops its silent stream`,
        () => daemonLogLines(plane!.dataDir, m.id, "attach stream ended; reconnecting"),
        (lines) => lines.some((l) => l.code === "DeadlineExceeded"),
        20_000,
      );
    }
    proxy.restore();

    await fleet.turnEnded(1, 60_000);
    await fleet.allReady();
    const logs = await fleet.assertNothingLost();
    for (const [i, m] of fleet.members.entries()) {
      assert.equal(replyOf(logs.get(m.name)!, 1), fullReply(STREAM_CHUNKS), `${m.name}: the whole reply, every chunk once`);
      assert.deepEqual(await daemonPids(m.id), pids[i], `${m.name}: a network fault is not a crash; the same daemon runs`);
    }
    assert.equal((await plane.sessions.getSession({ ref: ref(fleet.members[0]!.name) })).session?.status?.state, SessionState.READY);
  });
});
