/**
 * The raworc-agent daemon end to end: a real control plane (startTestServer, real PostgreSQL)
 * whose process runtime runs this package's daemon as a child process, driven only through the
 * public API, as a user would. What a user must never notice: an event lost or shown twice, a
 * message answered twice or not at all — across a daemon killed mid-reply, a control plane
 * restarted mid-reply, and a connection that goes silent without closing (half-open).
 */
import assert from "node:assert/strict";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider, type ScriptedStep } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startBlackholeProxy, type BlackholeProxy } from "../testing/blackhole-proxy.js";
import { step } from "../testing/fixtures.js";
import { SessionFollower } from "../testing/session-follower.js";

const namespace = "default";
/** "slow" streams a, b, c, d, e, f with 300 ms between pieces; "forever" starts and then waits an hour. */
const slowSteps: ScriptedStep[] = ["a", "b", "c", "d", "e", "f"].flatMap((text, index) => (index === 0 ? [step.text(text)] : [step.delay(300), step.text(text)]));

/** Polls until `check` passes; fails with what it last saw after `ms`. */
async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const closing = (event: SessionEvent): boolean =>
  event.payload.case === "turnCompleted" || event.payload.case === "turnFailed" || event.payload.case === "turnCancelled";

/** Checks what a watcher saw: seqs 1..n without gap or repeat, and each turn started and closed exactly once. */
function assertSeenExactlyOnce(follower: SessionFollower, turns: number[]): void {
  assert.deepEqual(follower.seqs, follower.seqs.map((_seq, index) => BigInt(index + 1)), "every event once, in order, no gap");
  for (const turn of turns) {
    assert.equal(follower.turn(turn).filter((event) => event.payload.case === "turnStarted").length, 1, `turn ${turn} started once`);
    assert.equal(follower.turn(turn).filter(closing).length, 1, `turn ${turn} closed once`);
  }
}

describe("raworc-agent end to end (real control plane, daemons as child processes)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let proxy: BlackholeProxy;
  let token: string;
  const sessions = (): Client<typeof SessionService> => clientOf(SessionService, server.url, token);
  const followers: SessionFollower[] = [];

  before(async () => {
    // Daemons reach the control plane through a proxy that can cut connections silently.
    proxy = await startBlackholeProxy();
    server = await startTestServer({ config: { daemonControlPlaneUrl: proxy.url } });
    proxy.target = new URL(server.url);
    token = await login(server.url, "admin", server.adminPassword);
    await clientOf(AgentService, server.url, token).createAgent({
      agent: {
        metadata: { namespace, name: "streamer" },
        spec: {
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: { turns: [{ match: "^slow", steps: slowSteps }, { match: "^forever", steps: [step.text("working"), step.delay(3_600_000)] }, { steps: [step.text("Hello, world.")] }] },
          },
        },
      },
    });
  });
  after(async () => {
    for (const follower of followers) await follower.stop();
    await server?.stop();
    await proxy?.close();
  });

  const get = async (name: string): Promise<Session> => (await sessions().getSession({ ref: { namespace, name } })).session!;
  const pidOf = (session: Session): number => Number(session.status?.runtime?.handle ?? "0");
  const send = (name: string, text: string) => sessions().sendMessage({ ref: { namespace, name }, text });

  /** Creates a session, waits until its daemon is READY, and follows its events. */
  async function readySession(name: string): Promise<SessionFollower> {
    await sessions().createSession({ session: { metadata: { namespace, name }, spec: { agents: ["streamer"] } } });
    await eventually(`${name} READY`, () => get(name), (session) => session.status?.state === SessionState.READY);
    const follower = new SessionFollower(sessions, { namespace, name });
    followers.push(follower);
    return follower;
  }

  it("kill -9 of the daemon mid-reply: it restarts, the cut turn is closed as Interrupted, and every event is seen once", async () => {
    const follower = await readySession("killed");
    await send("killed", "slow, please");
    await follower.waitFor("two deltas", () => follower.turn(1).filter((event) => event.payload.case === "textDelta").length >= 2);
    const pid = pidOf(await get("killed"));
    assert.ok(pid > 0);
    process.kill(pid, "SIGKILL");

    const failed = await follower.waitFor("the cut turn's end", (event) => event.turn === 1 && closing(event));
    assert.equal(failed.payload.case === "turnFailed" && failed.payload.value.reason, "Interrupted");
    assert.ok("abcdef".startsWith(follower.reply(1)) && follower.reply(1).length >= 2, `each piece once, in order: "${follower.reply(1)}"`);
    const restarted = await eventually("READY again", () => get("killed"), (session) => session.status?.state === SessionState.READY && pidOf(session) !== pid);
    assert.notEqual(pidOf(restarted), pid);

    await send("killed", "hi");
    await follower.waitFor("the next turn's end", (event) => event.turn === 2 && closing(event));
    assert.equal(follower.reply(2), "Hello, world.");
    assertSeenExactlyOnce(follower, [1, 2]);
  });

  it("a control plane restart mid-reply: the daemon reconnects and the reply arrives whole, once", async () => {
    const follower = await readySession("restarted");
    await send("restarted", "slow, please");
    await follower.waitFor("the first delta", (event) => event.turn === 1 && event.payload.case === "textDelta");
    const pid = pidOf(await get("restarted"));
    await server.restart();

    await follower.waitFor("the reply's end", (event) => event.turn === 1 && closing(event));
    assert.equal(follower.reply(1), "abcdef");
    assert.equal(pidOf(await get("restarted")), pid, "the same daemon carried on");
    await send("restarted", "hi");
    await follower.waitFor("the next turn's end", (event) => event.turn === 2 && closing(event));
    assertSeenExactlyOnce(follower, [1, 2]);
  });

  it("a half-open connection: heartbeats detect it, the daemon reconnects, and a message sent meanwhile is answered once", async () => {
    const follower = await readySession("half-open");
    const before = proxy.connections;
    proxy.cutAll();
    const sent = await send("half-open", "hi");
    await follower.waitFor("the answer", (event) => event.turn === 1 && closing(event), 60_000);
    assert.ok(proxy.connections > before, "the daemon opened a new connection");
    assert.equal(follower.reply(1), "Hello, world.");
    const started = follower.turn(1).find((event) => event.payload.case === "turnStarted")?.payload;
    assert.equal(started?.case === "turnStarted" && started.value.messageId, sent.messageId, "the turn answers that message");
    assertSeenExactlyOnce(follower, [1]);
  });

  it("CancelTurn stops a streaming reply; pause mid-turn cancels it as Paused; resume continues the numbering", async () => {
    const follower = await readySession("cancelled");
    await send("cancelled", "forever, please");
    await follower.waitFor("the turn's first delta", (event) => event.turn === 1 && event.payload.case === "textDelta");
    await sessions().cancelTurn({ ref: { namespace, name: "cancelled" }, reason: "changed my mind" });
    const cancelled = await follower.waitFor("TurnCancelled", (event) => event.turn === 1 && closing(event));
    assert.equal(cancelled.payload.case === "turnCancelled" && cancelled.payload.value.reason, "Cancelled");
    assert.equal(cancelled.payload.case === "turnCancelled" && cancelled.payload.value.cancelledBy?.name, "admin");

    await send("cancelled", "forever, again");
    await follower.waitFor("turn 2's first delta", (event) => event.turn === 2 && event.payload.case === "textDelta");
    await sessions().pauseSession({ ref: { namespace, name: "cancelled" } });
    const paused = await follower.waitFor("turn 2's end", (event) => event.turn === 2 && closing(event));
    assert.equal(paused.payload.case === "turnCancelled" && paused.payload.value.reason, "Paused");
    await eventually("PAUSED", () => get("cancelled"), (session) => session.status?.state === SessionState.PAUSED);

    await send("cancelled", "hi");
    await follower.waitFor("turn 3's end", (event) => event.turn === 3 && closing(event));
    assert.equal(follower.reply(3), "Hello, world.");
    assertSeenExactlyOnce(follower, [1, 2, 3]);
  });
});
