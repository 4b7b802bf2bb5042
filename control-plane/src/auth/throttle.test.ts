import assert from "node:assert/strict";
import { LoginThrottle } from "./throttle.js";

describe("LoginThrottle", () => {
  let now = 0;
  const throttle = () => new LoginThrottle({ maxFailuresPerAccount: 3, maxFailuresPerAddress: 5, windowMs: 1000, now: () => now });
  beforeEach(() => (now = 1_000_000));

  it("locks an account after its failures, whatever the address, until the window slides", () => {
    const t = throttle();
    for (const addr of ["1.1.1.1", "2.2.2.2", "3.3.3.3"]) t.recordFailure("alice", addr);
    assert.ok(t.retryAfterMs("alice", "9.9.9.9") > 0);
    assert.equal(t.retryAfterMs("bob", "9.9.9.9"), 0);
    now += 1001;
    assert.equal(t.retryAfterMs("alice", "9.9.9.9"), 0);
  });

  it("locks an address that guesses across many accounts", () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) t.recordFailure(`user-${i}`, "6.6.6.6");
    assert.ok(t.retryAfterMs("someone-new", "6.6.6.6") > 0);
    assert.equal(t.retryAfterMs("someone-new", "7.7.7.7"), 0);
  });

  it("forgets an account's failures after a success", () => {
    const t = throttle();
    t.recordFailure("carol", "1.1.1.1");
    t.recordFailure("carol", "1.1.1.1");
    t.recordSuccess("carol");
    t.recordFailure("carol", "1.1.1.1");
    assert.equal(t.retryAfterMs("carol", "2.2.2.2"), 0);
  });
});
