import assert from "node:assert/strict";
import { decryptSecretData, encryptSecretData, SecretDecryptionError, type SealedSecretData } from "./secret-crypto.js";
import { generateSecretKey, parseSecretKeys, type SecretKeyring } from "./secret-keys.js";

const identity = { namespace: "team-a", name: "openai", uid: "5f0c2a8e-4a51-4b4e-9d0e-0c7f1a2b3c4d" };
const data = { OPENAI_API_KEY: "sk-canary-1234567890", ORG: "acme" };

function failure(fn: () => unknown): SecretDecryptionError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SecretDecryptionError, `expected a SecretDecryptionError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected decryption to fail");
}

function flipByte(bytes: Uint8Array, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = copy[index]! ^ 0x01;
  return copy;
}

describe("secret encryption (AES-256-GCM)", () => {
  const oldKey = generateSecretKey();
  const newKey = generateSecretKey();
  const keyring: SecretKeyring = parseSecretKeys(oldKey, "test");

  it("round-trips a data map, and the ciphertext holds no value in clear", () => {
    const sealed = encryptSecretData(keyring, identity, data);
    assert.equal(sealed.nonce.length, 12);
    assert.equal(sealed.keyId, keyring.encryptionKeyId);
    assert.ok(!Buffer.from(sealed.ciphertext).toString("latin1").includes("sk-canary"));
    assert.deepEqual(decryptSecretData(keyring, identity, sealed), data);
  });

  it("uses a fresh nonce on every write, so equal data never gives equal ciphertexts", () => {
    const a = encryptSecretData(keyring, identity, data);
    const b = encryptSecretData(keyring, identity, data);
    assert.notDeepEqual(Buffer.from(a.nonce), Buffer.from(b.nonce));
    assert.notDeepEqual(Buffer.from(a.ciphertext), Buffer.from(b.ciphertext));
  });

  it("refuses a tampered ciphertext, tag or nonce", () => {
    const sealed = encryptSecretData(keyring, identity, data);
    const tampered: SealedSecretData[] = [
      { ...sealed, ciphertext: flipByte(sealed.ciphertext, 0) },
      { ...sealed, ciphertext: flipByte(sealed.ciphertext, sealed.ciphertext.length - 1) },
      { ...sealed, nonce: flipByte(sealed.nonce, 5) },
    ];
    for (const bad of tampered) assert.equal(failure(() => decryptSecretData(keyring, identity, bad)).reason, "authentication-failed");
    assert.equal(failure(() => decryptSecretData(keyring, identity, { ...sealed, nonce: sealed.nonce.subarray(1) })).reason, "malformed");
    assert.equal(failure(() => decryptSecretData(keyring, identity, { ...sealed, ciphertext: Buffer.alloc(3) })).reason, "malformed");
  });

  it("refuses a ciphertext moved to another secret (namespace, name or uid differ)", () => {
    const sealed = encryptSecretData(keyring, identity, data);
    for (const other of [
      { ...identity, namespace: "team-b" },
      { ...identity, name: "anthropic" },
      { ...identity, uid: "00000000-0000-4000-8000-000000000000" },
      // A naive "namespace/name" join would make these two identities equal.
      { namespace: "team-a/openai", name: "", uid: identity.uid },
    ]) {
      const error = failure(() => decryptSecretData(keyring, other, sealed));
      assert.equal(error.reason, "authentication-failed");
      assert.match(error.message, /altered, or belongs to another secret/);
    }
  });

  it("names the missing key, without key material or values, when decrypting with the wrong key", () => {
    const sealed = encryptSecretData(keyring, identity, data);
    const wrong = parseSecretKeys(newKey, "test");
    const error = failure(() => decryptSecretData(wrong, identity, sealed));
    assert.equal(error.reason, "unknown-key");
    assert.equal(error.keyId, keyring.encryptionKeyId);
    assert.match(error.message, new RegExp(`key ${keyring.encryptionKeyId}, which is not among the configured secrets keys`));
    for (const leaked of [oldKey, newKey, "sk-canary"]) assert.ok(!error.message.includes(leaked));
  });

  it("refuses a row whose key id was changed to another configured key", () => {
    const both = parseSecretKeys(`${newKey}\n${oldKey}`, "test");
    const sealed = encryptSecretData(both, identity, data);
    const swapped = { ...sealed, keyId: parseSecretKeys(oldKey, "test").encryptionKeyId };
    assert.equal(failure(() => decryptSecretData(both, identity, swapped)).reason, "authentication-failed");
  });

  it("rotates: the new key encrypts, the old key still decrypts what it encrypted", () => {
    const before = encryptSecretData(keyring, identity, data);
    const rotated = parseSecretKeys(`${newKey}\n${oldKey}`, "test");
    assert.notEqual(rotated.encryptionKeyId, keyring.encryptionKeyId);
    const after = encryptSecretData(rotated, identity, data);
    assert.equal(after.keyId, rotated.encryptionKeyId);
    assert.deepEqual(decryptSecretData(rotated, identity, before), data);
    assert.deepEqual(decryptSecretData(rotated, identity, after), data);
    // Once the old key is dropped, only what the new key encrypted stays readable.
    const newOnly = parseSecretKeys(newKey, "test");
    assert.deepEqual(decryptSecretData(newOnly, identity, after), data);
    assert.equal(failure(() => decryptSecretData(newOnly, identity, before)).reason, "unknown-key");
  });
});
