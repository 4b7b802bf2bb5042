/**
 * JWTs for users and for session daemons. Each kind has its own `typ` and `aud`, so one can
 * never stand in for the other; verification pins the algorithm, issuer, audience, type and
 * key id, and requires exp, iat, jti and sub.
 */
import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import type { Keyring } from "./keyring.js";

/** The two kinds of token and their distinguishing header type and audience. */
export const tokenKinds = {
  user: { typ: "raworc-user+jwt", aud: "raworc-api" },
  session: { typ: "raworc-session+jwt", aud: "raworc-runtime" },
} as const;

/** A kind of token. */
export type TokenKind = keyof typeof tokenKinds;

/** The claims Raworc puts in a token beyond the registered ones. */
export interface RaworcClaims {
  /** Subject: the principal's uid (or the session's id for daemon tokens). */
  readonly sub: string;
  /** The account's token generation at issue; a later generation voids the token. */
  readonly gen: number;
}

/** A verified token's claims. */
export interface VerifiedToken extends RaworcClaims {
  /** Token id. */
  readonly jti: string;
  /** Issued at. */
  readonly issuedAt: Date;
  /** Expires at. */
  readonly expiresAt: Date;
}

/** Why a token was refused; the message is safe to show the caller. */
export class InvalidTokenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InvalidTokenError";
  }
}

/** Signs a token of the given kind. */
export async function issueToken(
  keyring: Keyring,
  kind: TokenKind,
  claims: RaworcClaims,
  options: { issuer: string; ttlSeconds: number },
): Promise<{ token: string; jti: string; issuedAt: Date; expiresAt: Date }> {
  const jti = crypto.randomUUID();
  const now = Math.floor(Date.now() / 1000);
  const exp = now + options.ttlSeconds;
  const token = await new SignJWT({ gen: claims.gen })
    .setProtectedHeader({ alg: "EdDSA", typ: tokenKinds[kind].typ, kid: keyring.signingKeyId })
    .setIssuer(options.issuer)
    .setAudience(tokenKinds[kind].aud)
    .setSubject(claims.sub)
    .setJti(jti)
    .setIssuedAt(now)
    .setExpirationTime(exp)
    .sign(keyring.signingKey);
  return { token, jti, issuedAt: new Date(now * 1000), expiresAt: new Date(exp * 1000) };
}

/** Verifies a token of the given kind, or throws InvalidTokenError saying why in general terms. */
export async function verifyToken(
  keyring: Keyring,
  kind: TokenKind,
  token: string,
  options: { issuer: string },
): Promise<VerifiedToken> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid === undefined ? undefined : keyring.verificationKeys.get(header.kid);
        if (!key) throw new InvalidTokenError("token signed by an unknown key");
        return key;
      },
      {
        algorithms: ["EdDSA"],
        issuer: options.issuer,
        audience: tokenKinds[kind].aud,
        typ: tokenKinds[kind].typ,
        requiredClaims: ["exp", "iat", "jti", "sub"],
        clockTolerance: 5,
      },
    ));
  } catch (cause) {
    if (cause instanceof InvalidTokenError) throw cause;
    if (cause instanceof errors.JWTExpired) throw new InvalidTokenError("token expired", { cause });
    throw new InvalidTokenError("invalid token", { cause });
  }
  const { sub, jti, iat, exp, gen } = payload;
  if (typeof sub !== "string" || typeof jti !== "string" || typeof gen !== "number" || !Number.isInteger(gen)) {
    throw new InvalidTokenError("invalid token");
  }
  return { sub, jti, gen, issuedAt: new Date(iat! * 1000), expiresAt: new Date(exp! * 1000) };
}
