/**
 * Fault: a half-open connection between a daemon and the control plane. A proxy between them
 * stops forwarding in both directions without closing anything, in the middle of a streamed
 * reply. The heartbeats (1 s here, three missed end the stream) detect it on both sides: the
 * control plane ends the stream DEADLINE_EXCEEDED, the daemon drops it and attaches again. Once
 * the network is back, the daemon's new connection goes through, what it wrote meanwhile is
 * resent, a message sent down the dead stream is delivered again, and every event and every
 * message arrives once. Nothing restarts: the daemon kept running throughout.
 */
import assert from "node:assert/strict";
import type { Client } from "@connectrpc/connect";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startSilentProxy, type SilentProxy } from "@raworc/test-support/silent-proxy.js";
import {
  assertSawLogExactlyOnce,
  daemonLogLines,
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

const CHUNKS = 40;

/** How many Attach streams the server ended with `code`, from its /metrics. */
async function attachEndings(url: string, code: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith("raworc_rpc_duration_seconds_count{") && l.includes('method="Attach"') && l.includes(`code="${code}"`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("fault: a half-open connection between daemon and control plane (silent proxy, real daemons)", function () {
  this.timeout(60_000);
  let t: TestServer;
  let proxy: SilentProxy;
  let sessions: Client<typeof SessionService>;
  let watcher: Watcher | undefined;

  before(async () => {
    proxy = await startSilentProxy();
    // Daemons attach through the proxy; the watcher and the test talk to the server directly.
    t = await startTestServer({ config: { daemonControlPlaneUrl: proxy.url, daemonHeartbeatSeconds: 1 } });
    proxy.setTargets([{ host: "127.0.0.1", port: t.server.port }]);
    const token = await login(t.url, "admin", t.adminPassword);
    sessions = clientOf(SessionService, t.url, token);
    await clientOf(AgentService, t.url, token).createAgent({ agent: streamingAgent("streamer", CHUNKS, 100) });
  });
  after(async () => {
    await watcher?.stop();
    await t?.stop();
    await proxy?.close();
  });

  it("detects the dead connection on both sides by heartbeats, reattaches, and delivers every event once", async () => {
    const { session } = await sessions.createSession({ session: { metadata: ref("cut"), spec: { agents: ["streamer"] } } });
    const id = session!.metadata!.uid;
    const ready = await eventually("READY", () => sessions.getSession({ ref: ref("cut") }), (r) => r.session?.status?.state === SessionState.READY);
    const pid = Number(ready.session?.status?.runtime?.handle);
    assert.ok(proxy.accepted >= 1, "the daemon attached through the proxy");
    assert.equal(await attachEndings(t.url, "DeadlineExceeded"), 0);

    watcher = new Watcher(() => sessions, "cut");
    await sessions.sendMessage({ ref: ref("cut"), text: "talk for a while" });
    await watcher.waitForCount("a few deltas of turn 1", isDelta(1), 5);

    proxy.cut();
    // Work goes the other way too: this message is sent down the dead stream, lost, and resent.
    await sessions.sendMessage({ ref: ref("cut"), text: "and then?" });
    // Neither side gets a FIN or RST: only missed heartbeats can tell them.
    await eventually("the control plane ends the silent stream", () => attachEndings(t.url, "DeadlineExceeded"), (n) => n >= 1, 20_000);
    const daemonSaw = await eventually(
      "the daemon drops the silent stream",
      () => daemonLogLines(t.dataDir, id, "attach stream ended; reconnecting"),
      (lines) => lines.some((l) => l.code === "DeadlineExceeded"),
      20_000,
    );
    assert.match(String(daemonSaw.find((l) => l.code === "DeadlineExceeded")?.message), /heartbeat timeout/);

    proxy.restore();
    await watcher.waitFor("turn 2 completed", (e) => e.turn === 2 && e.payload.case === "turnCompleted", 30_000);
    await eventually("READY", () => sessions.getSession({ ref: ref("cut") }), (r) => r.session?.status?.state === SessionState.READY);
    await watcher.stop();

    const stored = await listAllEvents(sessions, "cut");
    assertSawLogExactlyOnce(watcher, stored);
    for (const turn of [1, 2]) {
      assert.equal(replyOf(stored, turn), fullReply(CHUNKS), `turn ${turn}: the whole reply, every chunk once, in order`);
      assert.equal(stored.filter((e) => e.turn === turn && e.payload.case === "turnCompleted").length, 1, `turn ${turn} completed once`);
    }
    assert.equal(stored.filter((e) => e.payload.case === "turnStarted").length, 2, "each message was applied once");

    // The daemon reattached (through the proxy) and resent what the dead connection swallowed.
    const welcomes = await daemonLogLines(t.dataDir, id, "welcomed");
    assert.ok(welcomes.length >= 2, "the daemon attached again");
    assert.ok(welcomes.slice(1).some((w) => Number(w.pending) > 0), `unacknowledged events were resent: ${JSON.stringify(welcomes)}`);
    assert.ok(proxy.accepted >= 2, "the new connection went through the proxy");

    // A network fault is not a crash: no restart, the same daemon throughout.
    assert.deepEqual(
      transitions(stored).filter((m) => m.includes(">STARTING:")),
      ["PENDING>STARTING:Scheduled"],
    );
    assert.deepEqual(await daemonPids(id), [pid]);
    assert.equal(await daemonStarts(t.dataDir, id), 1);
  });
});
