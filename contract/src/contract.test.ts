import { strict as assert } from "node:assert";
import { daemonEnv, daemonExitCodes, daemonFlags, warmPoolMessages } from "./index.js";

describe("the daemon contract", () => {
  it("gives every exit code, flag, variable and message a value of its own", () => {
    for (const group of [daemonExitCodes, daemonFlags, daemonEnv, warmPoolMessages]) {
      const values = Object.values(group);
      assert.equal(new Set(values).size, values.length, JSON.stringify(group));
    }
  });

  it("spells flags as long options and variables in the RAWORC_ namespace", () => {
    for (const flag of Object.values(daemonFlags)) assert.match(flag, /^--[a-z][a-z-]*$/);
    for (const name of Object.values(daemonEnv)) assert.match(name, /^RAWORC_[A-Z_]+$/);
  });
});
