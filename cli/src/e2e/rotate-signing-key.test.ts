import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { parse } from "yaml";
import type { CliConfig } from "../config-file.js";
import { runRaworc } from "../testing/raworc-process.js";

/** The kid in a JWT's header. */
function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString("utf8")) as { kid: string };
  return header.kid;
}

describe("raworc admin rotate-signing-key (end to end)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-rotate-"));
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("adds a signer that new tokens use after a restart, while tokens signed before keep working", async () => {
    const env = { RAWORC_CONFIG: join(dir, "config.yaml") };
    const raworc = (args: string[], input?: string) => runRaworc(args, { env, input });
    const token = async () => {
      const config = parse(await readFile(env.RAWORC_CONFIG, "utf8")) as CliConfig;
      return config.contexts[config.currentContext ?? ""]?.token ?? "";
    };
    assert.equal((await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword)).code, 0);
    const before = await token();
    const keysFile = join(server.dataDir, "keys", "jwks.json");

    const rotated = await raworc(["admin", "rotate-signing-key", "--data-dir", server.dataDir, "-o", "json"]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const result = JSON.parse(rotated.stdout) as { keysFile: string; signingKeyId: string; verifyingKeyIds: string[] };
    assert.equal(result.keysFile, keysFile);
    assert.deepEqual(result.verifyingKeyIds, [kidOf(before)]);
    assert.equal((await stat(keysFile)).mode & 0o777, 0o600, "the key file stays private");
    const set = JSON.parse(await readFile(keysFile, "utf8")) as { signingKeyId: string; keys: unknown[] };
    assert.deepEqual([set.signingKeyId, set.keys.length], [result.signingKeyId, 2]);
    assert.ok(!rotated.stdout.includes('"d"'), "no private key material is printed");

    const text = await raworc(["admin", "rotate-signing-key", "--keys-file", keysFile]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Restart every control-plane server/);

    await server.restart();
    const whoami = await raworc(["whoami", "-o", "json"]);
    assert.equal(whoami.code, 0, `a token signed with the old key still verifies: ${whoami.stderr}`);
    assert.equal((await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword)).code, 0);
    const current = JSON.parse(await readFile(keysFile, "utf8")) as { signingKeyId: string };
    assert.equal(kidOf(await token()), current.signingKeyId, "new tokens are signed with the newest key");
  });

  it("refuses a missing key file without creating one", async () => {
    const res = await runRaworc(["admin", "rotate-signing-key", "--data-dir", join(dir, "nowhere")], { env: { RAWORC_CONFIG: join(dir, "c.yaml") } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^raworc: no key file at .*nowhere\/keys\/jwks\.json/);
    await assert.rejects(stat(join(dir, "nowhere")), { code: "ENOENT" });
  });
});
