/** Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane). */
import { hash, verify } from "@node-rs/argon2";

// Argon2id is 2 in @node-rs/argon2's const enum, which isolatedModules cannot import.
const argon2id = 2;
const options = { algorithm: argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Hashes a password into a self-describing PHC string. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

// A real hash of a random password, so that a login for an unknown user costs one full
// verification, like a login for a known one: the answer time says nothing about existence.
let decoyHash: Promise<string> | undefined;

/** Verifies a password against a stored hash; with no hash, does the same work and fails. */
export async function verifyPassword(storedHash: string | undefined, password: string): Promise<boolean> {
  if (storedHash === undefined) {
    decoyHash ??= hashPassword(crypto.randomUUID());
    await verify(await decoyHash, password).catch(() => false);
    return false;
  }
  try {
    return await verify(storedHash, password);
  } catch {
    return false;
  }
}
