/**
 * The session state machine: one table of allowed transitions, checked in one place
 * (`assertTransition`), so no code path can move a session somewhere the design forbids.
 *
 *   PENDING → STARTING → READY ⇄ BUSY
 *   READY/BUSY → PAUSING → PAUSED → STARTING (resume)
 *   any → FAILED (reason) → STARTING (retry/resume)
 *   any → TERMINATING → TERMINATED
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** The states stored in the sessions table (the API's SessionState without UNSPECIFIED). */
export const sessionStates = [
  "pending",
  "starting",
  "ready",
  "busy",
  "pausing",
  "paused",
  "failed",
  "terminating",
  "terminated",
] as const;

/** A stored session state. */
export type SessionStateName = (typeof sessionStates)[number];

const live: SessionStateName[] = ["pending", "starting", "ready", "busy", "pausing", "paused", "failed"];

/** Allowed transitions: from → the states it may move to. */
export const transitions: Readonly<Record<SessionStateName, readonly SessionStateName[]>> = {
  pending: ["starting", "failed", "terminating"],
  // STARTING → PAUSING: a pause requested before the daemon said it was ready.
  starting: ["ready", "pausing", "failed", "terminating"],
  ready: ["busy", "pausing", "failed", "terminating", "starting"],
  busy: ["ready", "pausing", "failed", "terminating", "starting"],
  pausing: ["paused", "failed", "terminating"],
  paused: ["starting", "failed", "terminating"],
  failed: ["starting", "terminating"],
  terminating: ["terminated"],
  terminated: [],
};

/** Whether the machine allows moving from one state to another. */
export function canTransition(from: SessionStateName, to: SessionStateName): boolean {
  return transitions[from].includes(to);
}

/** Throws FAILED_PRECONDITION unless the transition is allowed. */
export function assertTransition(from: SessionStateName, to: SessionStateName): void {
  if (!canTransition(from, to)) {
    throw new ConnectError(`a session cannot go from ${from.toUpperCase()} to ${to.toUpperCase()}`, Code.FailedPrecondition);
  }
}

/** Whether a session in this state still exists as far as users are concerned (not TERMINATING/TERMINATED). */
export function isLive(state: SessionStateName): boolean {
  return live.includes(state);
}

/** The API enum of a stored state. */
export function toApiState(state: SessionStateName): SessionState {
  const map: Record<SessionStateName, SessionState> = {
    pending: SessionState.PENDING,
    starting: SessionState.STARTING,
    ready: SessionState.READY,
    busy: SessionState.BUSY,
    pausing: SessionState.PAUSING,
    paused: SessionState.PAUSED,
    failed: SessionState.FAILED,
    terminating: SessionState.TERMINATING,
    terminated: SessionState.TERMINATED,
  };
  return map[state];
}

/** The stored state of an API enum value, or undefined for UNSPECIFIED/unknown. */
export function fromApiState(state: SessionState): SessionStateName | undefined {
  return sessionStates.find((s) => toApiState(s) === state);
}
