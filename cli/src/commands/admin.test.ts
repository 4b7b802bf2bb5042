import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { keysFileFor, nextSteps, rotateKeys } from "./admin.js";

describe("raworc admin rotate-signing-key (local)", () => {
  it("finds the key file as the server does: --keys-file, --data-dir, RAWORC_SIGNING_KEYS_FILE, RAWORC_DATA_DIR", async () => {
    assert.equal(await keysFileFor({ keysFile: "/k.json" }, { RAWORC_SIGNING_KEYS_FILE: "/env.json" }), "/k.json");
    assert.equal(await keysFileFor({ dataDir: "/d" }, { RAWORC_SIGNING_KEYS_FILE: "/env.json" }), "/d/keys/jwks.json");
    assert.equal(await keysFileFor({}, { RAWORC_SIGNING_KEYS_FILE: "/env.json", RAWORC_DATA_DIR: "/e" }), "/env.json");
    assert.equal(await keysFileFor({}, { RAWORC_DATA_DIR: "/e" }), "/e/keys/jwks.json");
    assert.match(await keysFileFor({}, {}), /keys\/jwks\.json$/);
    await assert.rejects(keysFileFor({ keysFile: "/k", dataDir: "/d" }, {}), { message: "--data-dir and --keys-file exclude each other" });
  });

  it("refuses to invent a key file that no server reads", async () => {
    const dir = await mkdtemp(join(tmpdir(), "raworc-keys-"));
    try {
      await assert.rejects(rotateKeys(join(dir, "keys", "jwks.json")), { name: "UsageError", message: /^no key file at .*jwks\.json \(the server creates it on first start/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("tells the operator to restart, then remove the old keys after the token lifetime", () => {
    const text = nextSteps({ keysFile: "/k.json", signingKeyId: "new", verifyingKeyIds: ["old"] });
    assert.match(text, /Added signing key new to \/k\.json/);
    assert.match(text, /old\) still verify|old still verify/);
    assert.match(text, /Restart every control-plane server/);
    assert.match(text, /remove the older key\(s\) from "keys" in \/k\.json/);
  });
});
