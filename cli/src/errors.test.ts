import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { describeFailure, UsageError } from "./errors.js";

describe("failure reporting", () => {
  it("prints a ConnectError as its code name and message, with a hint for the usual fixes", () => {
    assert.deepEqual(describeFailure(new ConnectError("token revoked", Code.Unauthenticated)), {
      message: "raworc: unauthenticated: token revoked\n  (log in with: raworc login)",
      exitCode: 1,
    });
    assert.equal(describeFailure(new ConnectError("no such agent", Code.NotFound)).message, "raworc: not_found: no such agent");
  });

  it("never shows a stack trace unless RAWORC_DEBUG asks for one", () => {
    const error = new Error("disk on fire");
    assert.deepEqual(describeFailure(error, {}), { message: "raworc: disk on fire", exitCode: 1 });
    assert.match(describeFailure(error, { RAWORC_DEBUG: "1" }).message, /disk on fire\n\s+at /);
    assert.deepEqual(describeFailure(new UsageError("bad flag"), { RAWORC_DEBUG: "1" }), { message: "raworc: bad flag", exitCode: 1 });
  });

  it("reports a cancelled prompt or call with exit code 130", () => {
    assert.deepEqual(describeFailure(new DOMException("This operation was aborted", "AbortError")), { message: "raworc: canceled", exitCode: 130 });
  });
});
