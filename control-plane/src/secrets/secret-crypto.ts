/**
 * Encryption of a secret's values at rest: AES-256-GCM over the JSON of the data map, with a
 * random 96-bit nonce per write and the secret's identity (namespace, name, uid) as additional
 * authenticated data, so a ciphertext copied into another row fails to decrypt instead of
 * handing one secret's values out under another's name.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import type { SecretKeyring } from "./secret-keys.js";

/** Which secret a ciphertext belongs to; bound into the ciphertext as associated data. */
export interface SecretIdentity {
  readonly namespace: string;
  readonly name: string;
  /** The row's uid, so a secret deleted and recreated under the same name gets a new binding. */
  readonly uid: string;
  /** The kind of object holding the data (default "raworc.v1.Secret"), so one kind's ciphertext never opens as another's. */
  readonly kind?: string;
}

/** An encrypted data map as stored: ciphertext with its 16-byte tag appended, nonce and key id. */
export interface SealedSecretData {
  readonly ciphertext: Uint8Array;
  readonly nonce: Uint8Array;
  readonly keyId: string;
}

/** Why stored data could not be decrypted; the message never contains key material or values. */
export class SecretDecryptionError extends Error {
  constructor(
    readonly reason: "unknown-key" | "authentication-failed" | "malformed",
    readonly keyId: string,
    message: string,
  ) {
    super(message);
    this.name = "SecretDecryptionError";
  }
}

const tagBytes = 16;
const nonceBytes = 12;

function associatedData(identity: SecretIdentity): Buffer {
  // A JSON array cannot be ambiguous the way a joined string could ("a/b" + "c" vs "a" + "b/c").
  return Buffer.from(JSON.stringify([identity.kind ?? "raworc.v1.Secret", identity.namespace, identity.name, identity.uid]));
}

/** Encrypts a data map under the keyring's encryption key with a fresh nonce. */
export function encryptSecretData(keyring: SecretKeyring, identity: SecretIdentity, data: Readonly<Record<string, string>>): SealedSecretData {
  const key = keyring.keys.get(keyring.encryptionKeyId);
  if (!key) throw new Error("the encryption key is not in the keyring");
  const sorted = Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const nonce = randomBytes(nonceBytes);
  const cipher = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: tagBytes });
  cipher.setAAD(associatedData(identity));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(sorted), "utf8"), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext, nonce, keyId: keyring.encryptionKeyId };
}

/** Decrypts a stored data map, or throws SecretDecryptionError (unknown key, tampering, wrong row). */
export function decryptSecretData(keyring: SecretKeyring, identity: SecretIdentity, sealed: SealedSecretData): Record<string, string> {
  const key = keyring.keys.get(sealed.keyId);
  if (!key) {
    throw new SecretDecryptionError(
      "unknown-key",
      sealed.keyId,
      `secret data is encrypted with key ${sealed.keyId}, which is not among the configured secrets keys`,
    );
  }
  if (sealed.nonce.length !== nonceBytes || sealed.ciphertext.length < tagBytes) {
    throw new SecretDecryptionError("malformed", sealed.keyId, "stored secret data is malformed");
  }
  let plaintext: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.nonce, { authTagLength: tagBytes });
    decipher.setAAD(associatedData(identity));
    decipher.setAuthTag(sealed.ciphertext.subarray(-tagBytes));
    plaintext = Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, -tagBytes)), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretDecryptionError(
      "authentication-failed",
      sealed.keyId,
      "stored secret data failed authentication: it was altered, or belongs to another secret",
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(plaintext);
  } catch {
    data = undefined;
  }
  if (typeof data !== "object" || data === null || Array.isArray(data) || !Object.values(data).every((v) => typeof v === "string")) {
    throw new SecretDecryptionError("malformed", sealed.keyId, "stored secret data is malformed");
  }
  return data as Record<string, string>;
}
