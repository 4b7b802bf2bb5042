import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rotateSigningKey } from "@raworc/control-plane";
import { writeNewSigningKeySet } from "./new-signing-keys.js";

describe("deploy/scripts/new-signing-keys.ts", () => {
  it("writes a key file the server's rotation reads and extends, and never overwrites one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "raworc-jwks-"));
    try {
      const path = join(dir, "jwks.json");
      await writeNewSigningKeySet(path);
      const first = JSON.parse(await readFile(path, "utf8")) as { signingKeyId: string; keys: { kid: string; kty: string; crv: string; d: string }[] };
      assert.equal(first.keys.length, 1);
      assert.deepEqual([first.keys[0]?.kty, first.keys[0]?.crv, first.keys[0]?.kid], ["OKP", "Ed25519", first.signingKeyId]);
      assert.ok(first.keys[0]?.d, "a private key");
      const rotated = await rotateSigningKey(path);
      assert.equal(rotated.keys.length, 2);
      assert.notEqual(rotated.signingKeyId, first.signingKeyId);
      await assert.rejects(writeNewSigningKeySet(path), { code: "EEXIST" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
