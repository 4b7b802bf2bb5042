/**
 * Writes a new token signing key-set file (one private Ed25519 JWK that signs), the format
 * RAWORC_SIGNING_KEYS_FILE reads, for the raworc-signing-keys Secret:
 *   npx tsx deploy/scripts/new-signing-keys.ts jwks.json
 * Rotate it later with `raworc admin rotate-signing-key --keys-file jwks.json`.
 */
import { generateKeyPairSync, randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";

/** A key set with one fresh private Ed25519 JWK, which signs. */
export function newSigningKeySet(): { signingKeyId: string; keys: Record<string, unknown>[] } {
  const kid = randomUUID();
  const jwk = generateKeyPairSync("ed25519").privateKey.export({ format: "jwk" });
  return { signingKeyId: kid, keys: [{ ...jwk, kid, alg: "EdDSA", use: "sig" }] };
}

/** Writes a new key set to `path` (mode 0600), refusing to overwrite an existing file. */
export async function writeNewSigningKeySet(path: string): Promise<void> {
  await writeFile(path, JSON.stringify(newSigningKeySet(), null, 2) + "\n", { mode: 0o600, flag: "wx" });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = process.argv[2];
  if (!path) {
    process.stderr.write("usage: new-signing-keys.ts FILE\n");
    process.exit(2);
  }
  await writeNewSigningKeySet(path);
  process.stdout.write(`wrote ${path}\n`);
}
