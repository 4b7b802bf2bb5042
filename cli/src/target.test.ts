import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { saveConfig } from "./config-file.js";
import { UsageError } from "./errors.js";
import { normalizeServer, resolveTarget } from "./target.js";

describe("target resolution", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-cli-target-"));
    env = { RAWORC_CONFIG: join(dir, "config.yaml") };
    await saveConfig(
      {
        currentContext: "a",
        contexts: { a: { server: "http://a.example:9000", token: "token-a" }, b: { server: "https://b.example", token: "token-b" } },
      },
      env.RAWORC_CONFIG,
    );
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("uses the current context, or the one --context names", async () => {
    assert.deepEqual(await pick({}), { server: "http://a.example:9000", token: "token-a" });
    assert.deepEqual(await pick({ context: "b" }), { server: "https://b.example", token: "token-b" });
    await assert.rejects(pick({ context: "nope" }), UsageError);
  });

  it("never sends a context's token to another server", async () => {
    assert.deepEqual(await pick({ server: "http://elsewhere:9000" }), { server: "http://elsewhere:9000", token: undefined });
    assert.deepEqual(await pick({ server: "a.example:9000/" }), { server: "http://a.example:9000", token: "token-a" });
  });

  it("lets RAWORC_SERVER and RAWORC_TOKEN override the context, and --server override RAWORC_SERVER", async () => {
    Object.assign(env, { RAWORC_SERVER: "http://env:1", RAWORC_TOKEN: "token-env" });
    assert.deepEqual(await pick({}), { server: "http://env:1", token: "token-env" });
    assert.deepEqual(await pick({ server: "http://flag:2" }), { server: "http://flag:2", token: "token-env" });
  });

  it("rejects URLs that are not http(s)", () => {
    assert.throws(() => normalizeServer("ftp://x"), UsageError);
    assert.equal(normalizeServer("localhost:9000"), "http://localhost:9000");
  });

  async function pick(options: { server?: string; context?: string }) {
    const target = await resolveTarget(options, env);
    return { server: target.server, token: target.token };
  }
});
