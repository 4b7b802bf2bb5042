/** Typed per-request values set by interceptors and read by handlers (CONVENTIONS 3). */
import { createContextKey } from "@connectrpc/connect";

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
}

/** The authenticated caller, or undefined on public methods. */
export const kCaller = createContextKey<AuthenticatedCaller | undefined>(undefined, { description: "caller" });

/** A request id: the client's `x-request-id` when well-formed, otherwise generated. */
export const kRequestId = createContextKey<string>("", { description: "request id" });

/** The client's address as seen by the server (for throttling and audit). */
export const kClientAddress = createContextKey<string>("", { description: "client address" });
