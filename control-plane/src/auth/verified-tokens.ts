/**
 * Tokens whose signature this process has already verified, keyed by the token's SHA-256 (the
 * token itself is never kept), so a client's repeated calls pay for one EdDSA verification
 * instead of one per call. An entry proves only what the signature proved: the claims. Expiry
 * is checked on every use, and whether the account still honours the token's generation is
 * checked by the caller each time, so revocation is unaffected.
 */
import { createHash } from "node:crypto";
import type { VerifiedToken } from "./tokens.js";

/** A bounded least-recently-used map from token hash to verified claims. */
export class VerifiedTokens {
  private readonly entries = new Map<string, VerifiedToken>();

  /** Keeps at most `maxEntries` tokens (default 10,000). */
  constructor(private readonly maxEntries = 10_000) {}

  /** The claims of a token verified before and not expired yet; undefined otherwise (verify it then). */
  get(token: string, now = Date.now()): VerifiedToken | undefined {
    const key = hashOf(token);
    const claims = this.entries.get(key);
    if (!claims) return undefined;
    this.entries.delete(key);
    if (claims.expiresAt.getTime() <= now) return undefined;
    this.entries.set(key, claims);
    return claims;
  }

  /** Remembers the claims of a token whose signature was just verified. */
  remember(token: string, claims: VerifiedToken): void {
    this.entries.set(hashOf(token), claims);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
