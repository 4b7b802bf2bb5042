/** Typed per-request values set by interceptors and read by handlers (CONVENTIONS 3). */
import { createContextKey } from "@connectrpc/connect";
import type { Attributes } from "./rbac/rules.js";

/** Who is calling: the authenticated principal and the token that proved it. */
export interface AuthenticatedCaller {
  /** Principal kind; "ServiceAccount" for now. */
  readonly kind: "ServiceAccount";
  /** The service account's id. */
  readonly uid: string;
  /** Namespace of a namespaced account; "" for global ones. */
  readonly namespace: string;
  /** The account's name. */
  readonly name: string;
  /** Groups the principal belongs to. */
  readonly groups: readonly string[];
  /** The token's jti. */
  readonly tokenId: string;
  /** When the token was issued. */
  readonly issuedAt: Date;
  /** When the token expires. */
  readonly expiresAt: Date;
  /** The RBAC version read with the account on this call: grants the authorizer kept under it are current. */
  readonly rbacVersion?: string;
}

/** The authenticated caller, or undefined on public methods. */
export const kCaller = createContextKey<AuthenticatedCaller | undefined>(undefined, { description: "caller" });

/** A request id: the client's `x-request-id` when well-formed, otherwise generated. */
export const kRequestId = createContextKey<string>("", { description: "request id" });

/** The client's address as seen by the server (for throttling and audit). */
export const kClientAddress = createContextKey<string>("", { description: "client address" });

/** What the authorization step decided to check for this call (read by the audit log). */
export interface AccessDecision {
  /** The RBAC attributes checked, when the method maps to a check. */
  readonly attributes?: Attributes;
  /** Whether the call changes state. */
  readonly mutating: boolean;
}

/** The access decision of the call; undefined before authorization ran. */
export const kAccess = createContextKey<AccessDecision | undefined>(undefined, { description: "access decision" });

/** The namespaces a list call may return: every namespace, or only these. */
export type ListScope = { readonly all: true } | { readonly all: false; readonly namespaces: readonly string[] };

/** Where a cross-namespace list may look, set by authorization for list calls. */
export const kListScope = createContextKey<ListScope>({ all: true }, { description: "list scope" });

/** A session daemon proven by its session token (RuntimeService only). */
export interface AuthenticatedDaemon {
  /** The session the token is scoped to. */
  readonly sessionId: string;
  /** The session's token generation the token was issued for; a later generation voids it. */
  readonly tokenGeneration: number;
  /** The token's jti. */
  readonly tokenId: string;
  /** When the token expires. */
  readonly expiresAt: Date;
}

/** The authenticated session daemon, set on RuntimeService calls only. */
export const kDaemon = createContextKey<AuthenticatedDaemon | undefined>(undefined, { description: "session daemon" });
