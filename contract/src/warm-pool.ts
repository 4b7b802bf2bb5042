/** The messages of the process runtime's warm pool, on the IPC channel of a warm daemon. */

/** Message types exchanged with a warm daemon. */
export const warmPoolMessages = {
  /** Warm daemon → control plane: its code is loaded and it waits for a session. */
  loaded: "raworc.warm.loaded",
  /** Control plane → warm daemon: the session it now belongs to. */
  claim: "raworc.warm.claim",
} as const;

/** What a claim carries: the same facts a cold start gets from flags and environment. */
export interface WarmClaim {
  readonly type: typeof warmPoolMessages.claim;
  readonly controlPlaneUrl: string;
  readonly sessionId: string;
  readonly workspace: string;
  readonly token: string;
}
