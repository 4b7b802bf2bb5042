/**
 * Session daemon tokens: issued by the reconciler when it starts a daemon, checked on every
 * attach. A token names one session and that session's token generation; bumping the
 * generation (the session ends, or its daemon is replaced) voids every earlier token at once.
 */
import { bearerToken } from "./bearer.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AuthenticatedDaemon } from "../context.js";
import type { Keyring } from "./keyring.js";
import { InvalidTokenError, issueToken, verifyToken } from "./tokens.js";

/**
 * Default lifetime of a daemon token: 7 days. A daemon cannot refresh its token, and a
 * session may run for days, so the lifetime must outlast a long run; revocation does not rely
 * on expiry (the generation check voids a token the moment its session ends or its daemon is
 * replaced), so expiry only bounds the use of a token leaked from a session that is long gone.
 * The reconciler issues a fresh token on every start, so a paused and resumed session always
 * gets one; a daemon that outlives its token is refused on its next reconnect (UNAUTHENTICATED)
 * and must be restarted with a new one.
 */
export const defaultDaemonTokenTtlSeconds = 7 * 24 * 3600;

/** What daemon authentication needs to know about a session. */
export interface DaemonSessionLookup {
  /** The session's token generation and stored state, or null when it does not exist. */
  findById(id: string): Promise<{ readonly tokenGeneration: number; readonly state: string } | null>;
}

/** Settings shared by issuing and verifying daemon tokens. */
export interface DaemonTokenSettings {
  readonly keyring: Keyring;
  /** The `iss` claim. */
  readonly issuer: string;
}

/** A daemon token as handed to a runtime. */
export interface IssuedDaemonToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

/** Issues the token a session's daemon attaches with; call it each time a daemon is started. */
export async function issueDaemonToken(
  settings: DaemonTokenSettings,
  session: { readonly id: string; readonly tokenGeneration: number },
  ttlSeconds = defaultDaemonTokenTtlSeconds,
): Promise<IssuedDaemonToken> {
  const issued = await issueToken(settings.keyring, "session", { sub: session.id, gen: session.tokenGeneration }, { issuer: settings.issuer, ttlSeconds });
  return { token: issued.token, jti: issued.jti, expiresAt: issued.expiresAt };
}

const ended = new Set(["terminating", "terminated"]);

/** Authenticates a daemon's `Authorization` header; UNAUTHENTICATED for anything but a live session's current token. */
export async function authenticateDaemon(
  authorization: string | null,
  settings: DaemonTokenSettings & { readonly sessions: DaemonSessionLookup },
): Promise<AuthenticatedDaemon> {
  const token = bearerToken(authorization);
  let claims;
  try {
    // Pins typ raworc-session+jwt and aud raworc-runtime: a user token fails here.
    claims = await verifyToken(settings.keyring, "session", token, { issuer: settings.issuer });
  } catch (error) {
    if (error instanceof InvalidTokenError) throw new ConnectError(error.message, Code.Unauthenticated);
    throw error;
  }
  const session = await settings.sessions.findById(claims.sub);
  if (!session || session.tokenGeneration !== claims.gen || ended.has(session.state)) {
    throw new ConnectError("token revoked", Code.Unauthenticated);
  }
  return { sessionId: claims.sub, tokenGeneration: claims.gen, tokenId: claims.jti, expiresAt: claims.expiresAt };
}
