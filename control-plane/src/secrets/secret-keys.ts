/**
 * The keys that encrypt secrets at rest: 32-byte AES-256 keys written as standard base64, one
 * per line in a key file (or comma-separated in RAWORC_SECRETS_KEY). The first key encrypts;
 * every key decrypts, so rotation is: put a new key first, restart (stored secrets are
 * re-encrypted under it), then drop the old one. A key's id is derived from the key itself, so
 * the same key has the same id wherever it is configured and a row names the key it needs.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ConfigurationError } from "../errors.js";

/** The keys secrets are encrypted and decrypted with. */
export interface SecretKeyring {
  /** The id of the key that encrypts every new write. */
  readonly encryptionKeyId: string;
  /** Every key that may decrypt, by id (32 bytes each). */
  readonly keys: ReadonlyMap<string, Buffer>;
}

/** Where a generated key is kept when no key is configured. */
export function defaultSecretKeyFile(dataDir: string): string {
  return join(dataDir, "keys", "secrets.key");
}

/** Decodes one base64 key, or undefined when it is not exactly 32 bytes of standard base64. */
export function decodeSecretKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, "base64");
  return key.length === 32 ? key : undefined;
}

/** The id of a key: a domain-separated SHA-256 fingerprint, safe to store and to show. */
export function secretKeyId(key: Buffer): string {
  return createHash("sha256").update("raworc secrets key id\0").update(key).digest("hex").slice(0, 16);
}

/** A fresh random key in the key file's format. */
export function generateSecretKey(): string {
  return randomBytes(32).toString("base64");
}

/**
 * Builds a keyring from key text (comma- or newline-separated; blank lines and `#` comments
 * ignored); `source` names where the text came from in errors, which never echo a key.
 */
export function parseSecretKeys(text: string, source: string): SecretKeyring {
  const entries = text
    .split("\n")
    .flatMap((line) => line.replace(/#.*$/, "").split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (entries.length === 0) throw new ConfigurationError(`${source} holds no secrets key`);
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    const key = decodeSecretKey(entry);
    if (!key) throw new ConfigurationError(`${source}: key ${index + 1} is not base64 of 32 bytes`);
    keys.set(secretKeyId(key), key);
  });
  return { encryptionKeyId: secretKeyId(decodeSecretKey(entries[0]!)!), keys };
}

/** Where the secrets keys come from; at most one of `key` and `keyFile`. */
export interface SecretKeySource {
  /** Base64 keys, comma-separated, the first encrypting (RAWORC_SECRETS_KEY). */
  readonly key: string | undefined;
  /** A file of base64 keys, one per line, the first encrypting (RAWORC_SECRETS_KEY_FILE). */
  readonly keyFile: string | undefined;
  /** The data directory, for the generated default key file. */
  readonly dataDir: string;
}

/** The loaded keyring and where it came from. */
export interface LoadedSecretKeys {
  readonly keyring: SecretKeyring;
  /** A file path, or "RAWORC_SECRETS_KEY". */
  readonly source: string;
  /** Whether the key file was generated just now. */
  readonly generated: boolean;
}

/**
 * Loads the keys from configuration, or from `<dataDir>/keys/secrets.key`, generating that
 * file (0600) once when it does not exist. A configured key file that is missing is an error,
 * never replaced: a new key there would silently make every stored secret unreadable.
 */
export async function loadSecretKeys(source: SecretKeySource): Promise<LoadedSecretKeys> {
  if (source.key !== undefined) {
    return { keyring: parseSecretKeys(source.key, "RAWORC_SECRETS_KEY"), source: "RAWORC_SECRETS_KEY", generated: false };
  }
  if (source.keyFile !== undefined) {
    if (!existsSync(source.keyFile)) throw new ConfigurationError(`secrets key file ${source.keyFile} does not exist`);
    return { keyring: parseSecretKeys(await readFile(source.keyFile, "utf8"), source.keyFile), source: source.keyFile, generated: false };
  }
  const path = defaultSecretKeyFile(source.dataDir);
  let generated = false;
  if (!existsSync(path)) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const header = "# AES-256 keys for secrets at rest, base64, one per line; the first encrypts, all decrypt.\n";
    try {
      await writeFile(path, `${header}${generateSecretKey()}\n`, { mode: 0o600, flag: "wx" });
      await chmod(path, 0o600);
      generated = true;
    } catch (error) {
      // Another process sharing the data directory wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return { keyring: parseSecretKeys(await readFile(path, "utf8"), path), source: path, generated };
}
