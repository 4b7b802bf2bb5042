import assert from "node:assert/strict";
import { Backoff, backoffCeiling, sleep } from "./backoff.js";

describe("reconnect backoff", () => {
  it("doubles the ceiling from the base up to the cap", () => {
    assert.deepEqual(
      [0, 1, 2, 3, 6, 7, 8, 50, 5000].map((attempt) => backoffCeiling(attempt)),
      [100, 200, 400, 800, 6400, 10_000, 10_000, 10_000, 10_000],
    );
  });

  it("draws each delay with full jitter: anywhere in [0, ceiling)", () => {
    const low = new Backoff({ random: () => 0 });
    const high = new Backoff({ random: () => 0.999_999 });
    for (let attempt = 0; attempt < 12; attempt++) {
      assert.equal(low.next(), 0);
      const ceiling = backoffCeiling(attempt);
      const delay = high.next();
      assert.ok(delay < ceiling && delay >= ceiling - 1, `attempt ${attempt}: ${delay} vs ceiling ${ceiling}`);
    }
  });

  it("spreads real random delays over the whole window, never beyond the cap", () => {
    const delays = Array.from({ length: 2000 }, () => {
      const backoff = new Backoff();
      for (let i = 0; i < 9; i++) backoff.next();
      return backoff.next();
    });
    assert.ok(delays.every((delay) => delay >= 0 && delay < 10_000));
    assert.ok(delays.some((delay) => delay < 2000), "short delays occur");
    assert.ok(delays.some((delay) => delay > 8000), "long delays occur");
  });

  it("starts again from the base after a reset", () => {
    const backoff = new Backoff({ baseMs: 50, capMs: 1000, random: () => 0.999_999 });
    for (let i = 0; i < 10; i++) backoff.next();
    assert.equal(backoff.attempt, 10);
    backoff.reset();
    assert.equal(backoff.attempt, 0);
    assert.ok(backoff.next() < 50);
  });

  it("sleeps, and wakes early when aborted", async () => {
    const started = Date.now();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    await sleep(10_000, controller.signal);
    assert.ok(Date.now() - started < 1000);
  });
});
