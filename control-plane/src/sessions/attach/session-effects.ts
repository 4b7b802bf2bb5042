/** The session writes an attach stream makes, each under the session row lock in one transaction. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { SessionRow } from "../../store/entities/session.js";
import { transitionLocked } from "../event-log.js";
import type { SessionStore } from "../session-store.js";
import { canTransition, type SessionStateName } from "../state-machine.js";

/** The daemon a stream belongs to, as far as locked writes must check. */
export interface StreamOwner {
  readonly sessionId: string;
  readonly tokenGeneration: number;
}

/** Throws unless the row still belongs to this daemon: UNAUTHENTICATED once its token is revoked, FAILED_PRECONDITION once terminated. */
export function assertOwner(row: SessionRow, owner: StreamOwner): void {
  if (row.tokenGeneration !== owner.tokenGeneration) throw new ConnectError("token revoked", Code.Unauthenticated);
  if (row.state === "terminated") throw new ConnectError("the session is terminated", Code.FailedPrecondition);
}

/** Runs `fn` with the session locked, after checking the row still belongs to this stream's daemon. */
export async function withOwnedSession<T>(
  sessions: SessionStore,
  owner: StreamOwner,
  fn: (em: EntityManager, row: SessionRow) => Promise<T>,
): Promise<T> {
  try {
    return await sessions.withLocked(owner.sessionId, async (em, row) => {
      assertOwner(row, owner);
      return fn(em, row);
    });
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) {
      throw new ConnectError("the session no longer exists", Code.FailedPrecondition);
    }
    throw error;
  }
}

/** Applies the daemon's Ready: STARTING → READY (or a BUSY session whose turn the daemon no longer runs → READY), and resets restart attempts. */
export async function markReady(sessions: SessionStore, owner: StreamOwner, activeTurn: number, instanceId: string): Promise<SessionStateName> {
  return withOwnedSession(sessions, owner, async (em, row) => {
    row.restartAttempts = 0;
    if (row.state === "starting") {
      // The idle clock starts when the session can first take a message.
      row.lastActivityAt = new Date();
      await transitionLocked(em, row, "ready", "DaemonReady", `daemon ${instanceId} is ready`);
    } else if (row.state === "busy" && activeTurn === 0) {
      // The daemon restarted mid-turn without reporting the turn's end: nothing runs any more.
      row.activeTurn = 0;
      await transitionLocked(em, row, "ready", "DaemonReady", `daemon ${instanceId} is ready and runs no turn`);
    }
    return row.state as SessionStateName;
  });
}

/** Moves the session to FAILED with a reason (when the machine allows it from where it is). */
export async function failSession(sessions: SessionStore, owner: StreamOwner, reason: string, message: string): Promise<void> {
  await withOwnedSession(sessions, owner, async (em, row) => {
    if (canTransition(row.state as SessionStateName, "failed")) await transitionLocked(em, row, "failed", reason, message);
  });
}
