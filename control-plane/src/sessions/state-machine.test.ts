import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { assertTransition, canTransition, fromApiState, sessionStates, toApiState, transitions } from "./state-machine.js";

describe("session state machine", () => {
  const allowed: [string, string][] = [
    ["pending", "starting"],
    ["starting", "ready"],
    ["ready", "busy"],
    ["busy", "ready"],
    ["ready", "pausing"],
    ["busy", "pausing"],
    ["pausing", "paused"],
    ["paused", "starting"],
    ["failed", "starting"],
    ["terminating", "terminated"],
  ];
  for (const [from, to] of allowed) {
    it(`allows ${from} → ${to}`, () => assert.ok(canTransition(from as never, to as never)));
  }

  it("lets every live state fail and terminate", () => {
    for (const s of sessionStates.filter((s) => s !== "terminating" && s !== "terminated")) {
      assert.ok(canTransition(s, "terminating"), `${s} → terminating`);
      if (s !== "failed") assert.ok(canTransition(s, "failed"), `${s} → failed`);
    }
  });

  it("refuses what the design does not draw", () => {
    for (const [from, to] of [
      ["pending", "ready"],
      ["paused", "ready"],
      ["terminated", "starting"],
      ["terminating", "ready"],
      ["pausing", "ready"],
      ["failed", "ready"],
    ] as const) {
      assert.equal(canTransition(from, to), false, `${from} → ${to}`);
      assert.throws(() => assertTransition(from, to), (e: unknown) => e instanceof ConnectError && e.code === Code.FailedPrecondition);
    }
  });

  it("is closed: every target is a known state, and TERMINATED is final", () => {
    for (const targets of Object.values(transitions)) for (const t of targets) assert.ok(sessionStates.includes(t));
    assert.deepEqual(transitions.terminated, []);
  });

  it("maps every stored state to the API enum and back", () => {
    for (const s of sessionStates) assert.equal(fromApiState(toApiState(s)), s);
  });
});
