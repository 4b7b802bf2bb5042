/**
 * Fault: kill -9 of the control plane in the middle of a streamed reply. The daemon is detached
 * and keeps running its turn, writing events to its outbox; a new control plane on the same
 * data directory, database and port adopts it (no second daemon), the daemon reconnects and
 * resends what was not acknowledged, the reply completes, a watcher that resumes from the
 * last seq it saw receives every event exactly once, and the session still converges to a new
 * desired state (paused) once the dead control plane's lease has expired.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
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

const CHUNKS = 60;

describe("fault: kill -9 of the control plane during a streamed reply (control plane in a child process)", function () {
  this.timeout(90_000);
  let db: TestDatabase;
  let dataDir: string;
  const adminPassword = randomBytes(12).toString("base64url");
  const planes: ControlPlaneProcess[] = [];
  let watcher: Watcher | undefined;

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-cp-kill-"));
  });
  after(async () => {
    await watcher?.stop();
    for (const plane of planes) await plane.stop();
    // Daemons outlive control planes by design; the test's must not outlive the test.
    if (dataDir) await destroyLeftovers(dataDir);
    await db?.drop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("adopts the running daemon, which resends what was not acknowledged; nothing lost, nothing doubled", async () => {
    const first = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword });
    planes.push(first);
    const url = first.url; // the restarted control plane serves on the same port, so clients and daemons keep this URL
    const token = await login(url, "admin", adminPassword);
    const sessions = clientOf(SessionService, url, token);
    await clientOf(AgentService, url, token).createAgent({ agent: streamingAgent("streamer", CHUNKS, 100) });
    const { session } = await sessions.createSession({ session: { metadata: ref("survivor"), spec: { agents: ["streamer"] } } });
    const id = session!.metadata!.uid;
    const ready = await eventually("READY", () => sessions.getSession({ ref: ref("survivor") }), (r) => r.session?.status?.state === SessionState.READY);
    const pid = Number(ready.session?.status?.runtime?.handle);
    assert.deepEqual(await daemonPids(id), [pid], "one daemon runs, the one the handle names");

    watcher = new Watcher(() => sessions, "survivor");
    await sessions.sendMessage({ ref: ref("survivor"), text: "talk for a while" });
    await watcher.waitForCount("a few deltas of turn 1", isDelta(1), 5);

    await first.kill("SIGKILL");
    const seenBeforeRestart = watcher.lastSeq;
    // The daemon notices (its stream breaks) and keeps retrying while its turn goes on.
    await eventually("the daemon notices the control plane is gone", () => daemonLogLines(dataDir, id, "attach stream ended; reconnecting"), (l) => l.length > 0);

    const second = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword, port: first.port });
    planes.push(second);
    assert.equal(second.url, url);

    const end = await watcher.waitFor("turn 1 completed", (e) => e.turn === 1 && e.payload.case === "turnCompleted", 45_000);
    assert.ok(end.seq > seenBeforeRestart);
    await eventually("READY", () => sessions.getSession({ ref: ref("survivor") }), (r) => r.session?.status?.state === SessionState.READY);
    await watcher.stop();
    assert.ok(watcher.reconnects >= 1, "the watch broke with the control plane and was resumed from its cursor");

    const stored = await listAllEvents(sessions, "survivor");
    assertSawLogExactlyOnce(watcher, stored);
    assert.equal(replyOf(stored, 1), fullReply(CHUNKS), "the whole reply, every chunk once, in order");
    assert.deepEqual(
      transitions(stored).filter((m) => m.includes(">STARTING:")),
      ["PENDING>STARTING:Scheduled"],
      "the daemon was never restarted: the new control plane adopted it",
    );

    // The same daemon, never a second one.
    assert.deepEqual(await daemonPids(id), [pid], "the daemon that ran before the kill still runs, alone");
    assert.equal(await daemonStarts(dataDir, id), 1, "no daemon was started on the volume after the first");

    // It reattached and resent what the killed control plane had not acknowledged.
    const welcomes = await daemonLogLines(dataDir, id, "welcomed");
    assert.ok(welcomes.length >= 2, "the daemon attached again");
    assert.ok(
      welcomes.slice(1).some((w) => Number(w.pending) > 0),
      `events written while no control plane ran were resent: ${JSON.stringify(welcomes)}`,
    );

    // And the session still goes where it is told. The killed control plane's lease on it (30 s
    // from its last action) is what the new one waits out before it may act: bounded, not lost.
    await sessions.pauseSession({ ref: ref("survivor") });
    await eventually("PAUSED", () => sessions.getSession({ ref: ref("survivor") }), (r) => r.session?.status?.state === SessionState.PAUSED, 45_000);
    assert.deepEqual(await daemonPids(id), [], "the adopted daemon was stopped");
  });
});
