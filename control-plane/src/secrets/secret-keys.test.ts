import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig } from "../config.js";
import { ConfigurationError } from "../errors.js";
import { defaultSecretKeyFile, generateSecretKey, loadSecretKeys, parseSecretKeys, secretKeyId } from "./secret-keys.js";

describe("secrets keys", () => {
  let dataDir: string;
  beforeEach(async () => (dataDir = await mkdtemp(join(tmpdir(), "raworc-secret-keys-"))));
  afterEach(async () => rm(dataDir, { recursive: true, force: true }));

  it("generates a 0600 key file in the data directory once, and reuses it", async () => {
    const first = await loadSecretKeys({ key: undefined, keyFile: undefined, dataDir });
    const path = defaultSecretKeyFile(dataDir);
    assert.equal(first.generated, true);
    assert.equal(first.source, path);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const second = await loadSecretKeys({ key: undefined, keyFile: undefined, dataDir });
    assert.equal(second.generated, false);
    assert.equal(second.keyring.encryptionKeyId, first.keyring.encryptionKeyId);
    assert.equal(second.keyring.keys.size, 1);
  });

  it("takes keys from RAWORC_SECRETS_KEY or a key file, the first encrypting and all decrypting", async () => {
    const [a, b] = [generateSecretKey(), generateSecretKey()];
    const fromEnv = await loadSecretKeys({ key: `${a},${b}`, keyFile: undefined, dataDir });
    assert.equal(fromEnv.keyring.encryptionKeyId, secretKeyId(Buffer.from(a, "base64")));
    assert.deepEqual([...fromEnv.keyring.keys.keys()].sort(), [a, b].map((k) => secretKeyId(Buffer.from(k, "base64"))).sort());
    const file = join(dataDir, "keys.txt");
    await writeFile(file, `# rotated on Monday\n${b}\n\n${a}  # the old one\n`);
    const fromFile = await loadSecretKeys({ key: undefined, keyFile: file, dataDir });
    assert.equal(fromFile.keyring.encryptionKeyId, secretKeyId(Buffer.from(b, "base64")));
    assert.equal(fromFile.keyring.keys.size, 2);
    await assert.rejects(readFile(defaultSecretKeyFile(dataDir)), "no default key is generated when keys are configured");
  });

  it("refuses a configured key file that is missing, rather than replacing it with a new key", async () => {
    await assert.rejects(
      loadSecretKeys({ key: undefined, keyFile: join(dataDir, "typo.key"), dataDir }),
      (e: unknown) => e instanceof ConfigurationError && /typo\.key does not exist/.test(e.message),
    );
  });

  it("rejects keys that are not base64 of 32 bytes without echoing them", () => {
    for (const bad of ["", "# only a comment", "short", Buffer.alloc(16).toString("base64"), Buffer.alloc(33).toString("base64")]) {
      assert.throws(
        () => parseSecretKeys(bad, "the key file"),
        (e: unknown) => e instanceof ConfigurationError && /^the key file/.test(e.message) && (bad === "" || !e.message.includes(bad)),
      );
    }
  });

  it("is configured by RAWORC_SECRETS_KEY or RAWORC_SECRETS_KEY_FILE, never both, and never echoes a bad key", () => {
    const key = generateSecretKey();
    assert.equal(loadServerConfig({}, { RAWORC_SECRETS_KEY: key }).secretsKey, key);
    assert.equal(loadServerConfig({}, { RAWORC_SECRETS_KEY_FILE: "/etc/raworc/secrets.key" }).secretsKeyFile, "/etc/raworc/secrets.key");
    assert.throws(() => loadServerConfig({}, { RAWORC_SECRETS_KEY: key, RAWORC_SECRETS_KEY_FILE: "/x" }), /not both/);
    const bad = "not-a-key-canary";
    assert.throws(
      () => loadServerConfig({}, { RAWORC_SECRETS_KEY: bad }),
      (e: unknown) => e instanceof ConfigurationError && /RAWORC_SECRETS_KEY must be base64 of 32 bytes/.test(e.message) && !e.message.includes(bad),
    );
  });
});
