import assert from "node:assert/strict";
import { loadServerConfig } from "./config.js";

describe("server configuration", () => {
  it("reads RAWORC_STOP_SESSIONS_ON_EXIT as a boolean (default false, the flag beats it) and names it when its value is not one", () => {
    const stop = (value: string | undefined, flag?: boolean) =>
      loadServerConfig(flag === undefined ? {} : { stopSessionsOnExit: flag }, value === undefined ? {} : { RAWORC_STOP_SESSIONS_ON_EXIT: value }).stopSessionsOnExit;
    assert.deepEqual([stop(undefined), stop("true"), stop("1"), stop("false"), stop("0"), stop("false", true)], [false, true, true, false, false, true]);
    assert.throws(() => stop("yes"), { message: "invalid configuration: RAWORC_STOP_SESSIONS_ON_EXIT must be true, false, 1 or 0" });
  });
});
