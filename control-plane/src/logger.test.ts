import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "./logger.js";

describe("log redaction", () => {
  it("censors secret data, secret objects and secrets keys wherever a log call is likely to put them", () => {
    let out = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const logger = createLogger("info", sink);
    const canary = "sk-log-canary-31415";
    logger.info({ data: { K: canary } }, "top level");
    logger.info({ req: { data: { K: canary } } }, "one level down");
    logger.info({ rpc: { message: { data: { K: canary } } } }, "two levels down");
    logger.info({ secret: { data: { K: canary } } }, "a whole secret");
    logger.info({ config: { secretsKey: canary } }, "configuration");
    assert.equal(out.trim().split("\n").length, 5);
    assert.ok(!out.includes(canary), out);
    assert.equal(out.split("[redacted]").length - 1, 5);
  });
});
