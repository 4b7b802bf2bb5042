/**
 * Token signing keys: several Ed25519 keys verify, exactly one signs. Rotation adds a new key
 * and makes it the signer; the old one keeps verifying until the operator removes it, after
 * the longest token lifetime has passed.
 */
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";
import { ConfigurationError } from "../errors.js";

/** The key-set file's shape: private JWKs with `kid`, and which of them signs. */
export interface KeySetFile {
  /** The `kid` of the key that signs new tokens. */
  signingKeyId: string;
  /** Every key that verifies tokens (private Ed25519 JWKs). */
  keys: JWK[];
}

/** Loaded keys, ready to sign and verify. */
export interface Keyring {
  /** The key id new tokens carry. */
  readonly signingKeyId: string;
  /** The private key that signs new tokens. */
  readonly signingKey: CryptoKey;
  /** Public keys by key id, for verification. */
  readonly verificationKeys: ReadonlyMap<string, CryptoKey>;
}

async function newKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: crypto.randomUUID(), alg: "EdDSA", use: "sig" };
}

async function writeKeySet(path: string, set: KeySetFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(set, null, 2) + "\n", { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Reads the key-set file, creating it with one fresh key when it does not exist. */
export async function loadOrCreateKeySet(path: string): Promise<KeySetFile> {
  if (!existsSync(path)) {
    const key = await newKey();
    const set = { signingKeyId: key.kid!, keys: [key] };
    await writeKeySet(path, set);
    return set;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (cause) {
    throw new ConfigurationError(`signing key file ${path} is not valid JSON`, { cause });
  }
  const set = parsed as Partial<KeySetFile>;
  if (typeof set.signingKeyId !== "string" || !Array.isArray(set.keys) || set.keys.length === 0) {
    throw new ConfigurationError(`signing key file ${path} must have "signingKeyId" and a non-empty "keys" list`);
  }
  return set as KeySetFile;
}

/** Adds a new signing key to the file and makes it the signer; older keys keep verifying. */
export async function rotateSigningKey(path: string): Promise<KeySetFile> {
  const set = await loadOrCreateKeySet(path);
  const key = await newKey();
  const next = { signingKeyId: key.kid!, keys: [...set.keys, key] };
  await writeKeySet(path, next);
  return next;
}

/** Turns a key set into usable keys, checking that every key is a private Ed25519 JWK. */
export async function importKeySet(set: KeySetFile): Promise<Keyring> {
  const verificationKeys = new Map<string, CryptoKey>();
  let signingKey: CryptoKey | undefined;
  for (const jwk of set.keys) {
    if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.kid || !jwk.d) {
      throw new ConfigurationError("every signing key must be a private Ed25519 JWK with a kid");
    }
    const { d: _private, ...publicJwk } = jwk;
    verificationKeys.set(jwk.kid, (await importJWK(publicJwk, "EdDSA")) as CryptoKey);
    if (jwk.kid === set.signingKeyId) signingKey = (await importJWK(jwk, "EdDSA")) as CryptoKey;
  }
  if (!signingKey) throw new ConfigurationError(`signingKeyId ${set.signingKeyId} is not among the keys`);
  return { signingKeyId: set.signingKeyId, signingKey, verificationKeys };
}
