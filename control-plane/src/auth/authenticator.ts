/** Logs principals in, authenticates bearer tokens, and revokes them. */
import { bearerToken } from "./bearer.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { AuthenticatedCaller, AuthenticatedDaemon } from "../context.js";
import type { ServiceAccountRow } from "../store/entities/service-account.js";
import type { ServiceAccountStore } from "../store/service-accounts.js";
import { authenticateDaemon, type DaemonSessionLookup } from "./daemon-auth.js";
import type { Keyring } from "./keyring.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import type { LoginThrottle } from "./throttle.js";
import { InvalidTokenError, issueToken, verifyToken } from "./tokens.js";
import { parseUsername } from "./usernames.js";
import { VerifiedTokens } from "./verified-tokens.js";
import { implicitGroups } from "../rbac/authorizer.js";

/** What a successful login or password change returns. */
export interface IssuedToken {
  readonly token: string;
  readonly expiresAt: Date;
  readonly account: ServiceAccountRow;
}

/** Dependencies and settings of the {@link Authenticator}. */
export interface AuthenticatorOptions {
  readonly accounts: ServiceAccountStore;
  readonly keyring: Keyring;
  readonly throttle: LoginThrottle;
  readonly issuer: string;
  readonly tokenTtlSeconds: number;
  /** Where daemon tokens are checked against their session; without it, daemons are refused. */
  readonly sessions?: DaemonSessionLookup;
}

const badCredentials = "invalid username or password";

/** The authentication domain: passwords in, tokens out, tokens checked on every call. */
export class Authenticator {
  private readonly verified = new VerifiedTokens();

  constructor(private readonly options: AuthenticatorOptions) {}

  /** Exchanges credentials for a user token; UNAUTHENTICATED or RESOURCE_EXHAUSTED otherwise. */
  async login(username: string, password: string, clientAddress: string): Promise<IssuedToken> {
    const { accounts, throttle } = this.options;
    const waitMs = throttle.retryAfterMs(username, clientAddress);
    if (waitMs > 0) {
      throw new ConnectError(
        `too many failed logins; retry in ${Math.ceil(waitMs / 1000)}s`,
        Code.ResourceExhausted,
      );
    }
    const ref = parseUsername(username);
    const account = await accounts.find(ref.namespace, ref.name, true);
    // Always one full verification, known user or not, active or not: same work, same answer.
    const passwordOk = await verifyPassword(account?.passwordHash, password);
    if (!account || !passwordOk || !account.active) {
      throttle.recordFailure(username, clientAddress);
      throw new ConnectError(badCredentials, Code.Unauthenticated);
    }
    throttle.recordSuccess(username);
    await accounts.recordLogin(account.id);
    return this.issue(account, account.tokenGeneration);
  }

  /** Authenticates an `authorization` header value; UNAUTHENTICATED when anything is off. */
  async authenticate(authorization: string | null): Promise<AuthenticatedCaller> {
    const token = bearerToken(authorization);
    const { keyring, issuer } = this.options;
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        claims = await verifyToken(keyring, "user", token, { issuer });
      } catch (error) {
        if (error instanceof InvalidTokenError) throw new ConnectError(error.message, Code.Unauthenticated);
        throw error;
      }
      this.verified.remember(token, claims);
    }
    // One primary-key read per call, on every replica: deactivation, logout and password changes
    // take effect at once. It also reads the RBAC version, under which the authorizer keeps grants.
    const account = await this.options.accounts.findStanding(claims.sub);
    if (!account || !account.active || account.tokenGeneration !== claims.gen) {
      throw new ConnectError("token revoked", Code.Unauthenticated);
    }
    return {
      kind: "ServiceAccount",
      uid: account.id,
      namespace: account.namespace,
      name: account.name,
      groups: implicitGroups(account),
      tokenId: claims.jti,
      issuedAt: claims.issuedAt,
      expiresAt: claims.expiresAt,
      rbacVersion: account.rbacVersion,
    };
  }

  /** Authenticates a session daemon's `Authorization` header; UNAUTHENTICATED unless it is its live session's current token. */
  async authenticateDaemon(authorization: string | null): Promise<AuthenticatedDaemon> {
    const { keyring, issuer, sessions } = this.options;
    if (!sessions) throw new ConnectError("session daemons are not served", Code.Unimplemented);
    return authenticateDaemon(authorization, { keyring, issuer, sessions });
  }

  /** Revokes the caller's token and every earlier token of the same account. */
  async logout(caller: AuthenticatedCaller): Promise<void> {
    await this.options.accounts.bumpGeneration(caller.uid);
  }

  /** Changes the caller's password after re-proving the current one; returns a fresh token. */
  async changePassword(caller: AuthenticatedCaller, current: string, next: string): Promise<IssuedToken> {
    const { accounts } = this.options;
    const account = await accounts.findById(caller.uid, true);
    if (!account || !(await verifyPassword(account.passwordHash, current))) {
      throw new ConnectError("current password is wrong", Code.PermissionDenied);
    }
    const generation = await accounts.setPassword(account.id, await hashPassword(next));
    return this.issue(account, generation);
  }

  private async issue(account: ServiceAccountRow, generation: number): Promise<IssuedToken> {
    const { keyring, issuer, tokenTtlSeconds } = this.options;
    const issued = await issueToken(keyring, "user", { sub: account.id, gen: generation }, { issuer, ttlSeconds: tokenTtlSeconds });
    return { token: issued.token, expiresAt: issued.expiresAt, account };
  }
}
