import assert from "node:assert/strict";
import type { RuntimeObservation } from "../runtime/session-runtime.js";
import { decide, restartDelayMs, type LifecyclePolicy, type SessionFacts } from "./reconcile-decision.js";

const now = new Date("2026-11-24T12:00:00Z");
const ago = (ms: number) => new Date(now.getTime() - ms);
const policy: LifecyclePolicy = { maxRestarts: 3, restartBackoffBaseMs: 1000, restartBackoffMaxMs: 30_000, startTimeoutMs: 60_000 };
const facts = (f: Partial<SessionFacts>): SessionFacts => ({
  state: "ready",
  desired: "running",
  restartAttempts: 0,
  nextAttemptAt: null,
  lastActivityAt: ago(1000),
  startedAt: ago(5000),
  idleTimeoutMs: 600_000,
  volumeRetained: false,
  hasParent: false,
  ...f,
});
const seen = (daemon: RuntimeObservation["daemon"], extra: Partial<RuntimeObservation> = {}): RuntimeObservation => ({ sessionId: "s", volume: "present", daemon, ...extra });

describe("reconcile decisions", () => {
  const cases: [string, Partial<SessionFacts>, RuntimeObservation, string][] = [
    ["a new session starts", { state: "pending" }, seen("absent", { volume: "absent" }), "start"],
    ["a healthy ready session is left alone", {}, seen("running"), "none"],
    ["a ready session idle past its timeout pauses", { lastActivityAt: ago(700_000) }, seen("running"), "begin-pause"],
    ["a busy session is never paused for idleness", { state: "busy", lastActivityAt: ago(700_000) }, seen("running"), "none"],
    ["idle timeout 0 means never", { idleTimeoutMs: 0, lastActivityAt: ago(10 ** 9) }, seen("running"), "none"],
    ["a crashed ready daemon is restarted later", {}, seen("exited", { exitCode: 1 }), "restart-later"],
    ["a vanished daemon counts as a crash", { state: "busy" }, seen("absent"), "restart-later"],
    ["too many crashes fail the session", { restartAttempts: 3 }, seen("exited", { exitCode: 1 }), "fail"],
    ["a daemon that exits for a full volume fails the session at once", {}, seen("exited", { exitCode: 4 }), "fail"],
    ["a daemon that cannot start on a full volume fails the session at once", { state: "starting" }, seen("exited", { exitCode: 4 }), "fail"],
    ["a scheduled restart waits for its time", { state: "starting", nextAttemptAt: new Date(now.getTime() + 500) }, seen("exited"), "none"],
    ["a due restart starts", { state: "starting", nextAttemptAt: ago(1) }, seen("exited"), "start"],
    ["a daemon that exits while starting is a crash", { state: "starting" }, seen("exited", { exitCode: 2 }), "restart-later"],
    ["a slow start times out as a crash", { state: "starting", startedAt: ago(61_000) }, seen("running"), "restart-later"],
    ["a starting daemon within its time is left alone", { state: "starting" }, seen("running"), "none"],
    ["a lost spawn is started again", { state: "starting" }, seen("absent"), "start"],
    ["pause begins from ready", { desired: "paused" }, seen("running"), "begin-pause"],
    ["pause finishes from pausing", { state: "pausing", desired: "paused" }, seen("running"), "finish-pause"],
    ["a paused session stays paused", { state: "paused", desired: "paused" }, seen("absent"), "none"],
    ["resume starts a paused session", { state: "paused" }, seen("absent"), "start"],
    ["resume restarts a failed session", { state: "failed", restartAttempts: 4 }, seen("exited"), "start"],
    ["delete begins terminating", { desired: "terminated" }, seen("running"), "begin-terminate"],
    ["terminating finishes", { state: "terminating", desired: "terminated" }, seen("running"), "finish-terminate"],
    ["terminated is final", { state: "terminated", desired: "terminated" }, seen("absent"), "none"],
  ];
  for (const [name, f, o, expected] of cases) {
    it(name, () => assert.equal(decide(facts(f), o, now, policy).kind, expected));
  }

  it("starts a remix from its parent's volume", () => {
    assert.deepEqual(decide(facts({ state: "pending", hasParent: true }), seen("absent", { volume: "absent" }), now, policy), {
      kind: "start",
      reason: "Scheduled",
      fromParentVolume: true,
    });
  });

  it("names the full volume as the reason, not a crash loop", () => {
    const action = decide(facts({ state: "starting", restartAttempts: 0 }), seen("exited", { exitCode: 4 }), now, policy);
    assert.equal(action.kind, "fail");
    assert.equal(action.kind === "fail" && action.reason, "VolumeFull");
    assert.match(action.kind === "fail" ? action.message : "", /volume is full.*free space/);
  });

  it("backs off exponentially, capped", () => {
    assert.deepEqual([1, 2, 3, 4, 10].map((n) => restartDelayMs(n, policy)), [1000, 2000, 4000, 8000, 30_000]);
    const action = decide(facts({ restartAttempts: 1 }), seen("exited", { exitCode: 1 }), now, policy);
    assert.equal(action.kind === "restart-later" && action.at.getTime() - now.getTime(), 2000);
  });

  it("keeps the volume of a session deleted with retain_volume", () => {
    assert.deepEqual(decide(facts({ state: "terminating", desired: "terminated", volumeRetained: true }), seen("absent"), now, policy), {
      kind: "finish-terminate",
      keepVolume: true,
    });
  });
});
