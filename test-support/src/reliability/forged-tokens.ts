/**
 * Forged and misused JWTs for the token attacks, made with the server's own key set (read from
 * its data directory) so that each differs from a valid token in exactly one way.
 */
import { createHmac, createPrivateKey, createPublicKey, randomUUID, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";

interface Jwk {
  readonly kid: string;
  readonly d?: string;
  readonly x: string;
  readonly kty: string;
  readonly crv: string;
}

const b64 = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/** The server's signing key (with its private part), from `<dataDir>/keys/jwks.json`. */
export async function serverSigningKey(dataDir: string): Promise<Jwk> {
  const set = JSON.parse(await readFile(join(dataDir, "keys", "jwks.json"), "utf8")) as { signingKeyId: string; keys: Jwk[] };
  const key = set.keys.find((k) => k.kid === set.signingKeyId);
  if (!key?.d) throw new Error("the key set has no private signing key");
  return key;
}

/** What a user token of this server looks like; each attack overrides a part. */
export interface TokenParts {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
}

/** The header and claims of a token the server issued, to be altered and signed again. */
export function partsOf(token: string): TokenParts {
  const [header, claims] = token.split(".").slice(0, 2).map((part) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>);
  return { header: header!, claims: { ...claims!, jti: randomUUID() } };
}

/** Signs `parts` with the server's Ed25519 key, as the server itself would. */
export function signEd25519(key: Jwk, parts: TokenParts): string {
  const input = `${b64(parts.header)}.${b64(parts.claims)}`;
  const signature = sign(null, Buffer.from(input), createPrivateKey({ key: { ...key }, format: "jwk" }));
  return `${input}.${signature.toString("base64url")}`;
}

/** `alg: none` with an empty signature. */
export function unsignedToken(parts: TokenParts): string {
  return `${b64({ ...parts.header, alg: "none" })}.${b64(parts.claims)}.`;
}

/** HS256 keyed with the server's public key (the algorithm-confusion attack). */
export function hs256WithPublicKey(key: Jwk, parts: TokenParts): string {
  const input = `${b64({ ...parts.header, alg: "HS256" })}.${b64(parts.claims)}`;
  const { d: _private, ...publicJwk } = key;
  const publicPem = createPublicKey({ key: publicJwk, format: "jwk" }).export({ type: "spki", format: "pem" });
  return `${input}.${createHmac("sha256", publicPem).update(input).digest("base64url")}`;
}

/** A valid token with one character of its signature changed. */
export function tampered(token: string): string {
  const last = token.at(-2) === "A" ? "B" : "A";
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}
