/**
 * What the reconciler should do for one session, as a pure function of the stored session,
 * what the runtime observes, and the time. Keeping the decision pure makes every rule of the
 * lifecycle testable in a table, apart from the side effects that carry it out.
 */
import { daemonExitCodes } from "@raworc/contract";
import type { RuntimeObservation } from "../runtime/session-runtime.js";
import type { SessionStateName } from "./state-machine.js";

/** The facts of a session the decision depends on. */
export interface SessionFacts {
  readonly state: SessionStateName;
  readonly desired: "running" | "paused" | "terminated";
  readonly restartAttempts: number;
  readonly nextAttemptAt: Date | null;
  readonly lastActivityAt: Date;
  /** When the daemon was last started (spawned); null before the first start. */
  readonly startedAt: Date | null;
  /** Idle timeout in ms; 0 means never. */
  readonly idleTimeoutMs: number;
  readonly volumeRetained: boolean;
  readonly hasParent: boolean;
}

/** Tunables of the lifecycle. */
export interface LifecyclePolicy {
  /** Crashes tolerated before FAILED (DaemonCrashLoop). */
  readonly maxRestarts: number;
  /** Backoff of the n-th restart: base × 2^(n-1), capped. */
  readonly restartBackoffBaseMs: number;
  readonly restartBackoffMaxMs: number;
  /** How long a daemon may take from spawn to Ready before it counts as a failed start. */
  readonly startTimeoutMs: number;
}

/** One step for the reconciler to take. */
export type Action =
  | { readonly kind: "none" }
  | { readonly kind: "start"; readonly reason: string; readonly fromParentVolume: boolean }
  | { readonly kind: "restart-later"; readonly reason: string; readonly message: string; readonly at: Date }
  | { readonly kind: "fail"; readonly reason: string; readonly message: string }
  | { readonly kind: "begin-pause"; readonly reason: string }
  | { readonly kind: "finish-pause" }
  | { readonly kind: "begin-terminate" }
  | { readonly kind: "finish-terminate"; readonly keepVolume: boolean };

/** The backoff before restart number `attempt` (1-based). */
export function restartDelayMs(attempt: number, policy: LifecyclePolicy): number {
  return Math.min(policy.restartBackoffMaxMs, policy.restartBackoffBaseMs * 2 ** Math.max(0, attempt - 1));
}

// The daemon's "the session volume is full": a restart would hit the same wall, so the session
// fails at once until someone frees space and resumes it.
const volumeFullExitCode = daemonExitCodes.volumeFull;

function crashed(s: SessionFacts, o: RuntimeObservation, now: Date, policy: LifecyclePolicy, why: string): Action {
  if (o.daemon === "exited" && o.exitCode === volumeFullExitCode) {
    return {
      kind: "fail",
      reason: "VolumeFull",
      message: "the session volume is full: the daemon cannot record its state or events; free space in the volume, then resume the session or send it a message",
    };
  }
  const attempt = s.restartAttempts + 1;
  if (attempt > policy.maxRestarts) {
    return { kind: "fail", reason: "DaemonCrashLoop", message: `the daemon failed ${s.restartAttempts + 1} times in a row; last: ${why}` };
  }
  const detail = o.exitCode === undefined ? why : `${why} (exit code ${o.exitCode})`;
  return { kind: "restart-later", reason: "DaemonExited", message: detail, at: new Date(now.getTime() + restartDelayMs(attempt, policy)) };
}

/** Decides the next action for one session. */
export function decide(s: SessionFacts, o: RuntimeObservation, now: Date, policy: LifecyclePolicy): Action {
  if (s.state === "terminated") return { kind: "none" };
  if (s.desired === "terminated") {
    return s.state === "terminating" ? { kind: "finish-terminate", keepVolume: s.volumeRetained } : { kind: "begin-terminate" };
  }
  if (s.state === "terminating") return { kind: "none" };

  if (s.desired === "paused") {
    if (s.state === "ready" || s.state === "busy" || s.state === "starting") return { kind: "begin-pause", reason: "UserPaused" };
    if (s.state === "pausing") return { kind: "finish-pause" };
    return { kind: "none" }; // paused, failed, pending: nothing runs, nothing to do
  }

  // desired: running
  switch (s.state) {
    case "pending":
      return { kind: "start", reason: "Scheduled", fromParentVolume: s.hasParent };
    case "paused":
      return { kind: "start", reason: "Resumed", fromParentVolume: false };
    case "failed":
      return { kind: "start", reason: "Resumed", fromParentVolume: false };
    case "pausing":
      return { kind: "finish-pause" }; // a resume during pausing: finish, then start on the next pass
    case "starting":
      // A scheduled restart: wait out the backoff, then start whatever the daemon's remains say.
      if (s.nextAttemptAt) return s.nextAttemptAt > now ? { kind: "none" } : { kind: "start", reason: "Restarted", fromParentVolume: false };
      if (o.daemon === "exited") return crashed(s, o, now, policy, o.message ?? "the daemon exited before it was ready");
      if (o.daemon === "absent") return { kind: "start", reason: "DaemonMissing", fromParentVolume: false };
      if (s.startedAt && now.getTime() - s.startedAt.getTime() > policy.startTimeoutMs) {
        return crashed(s, o, now, policy, `the daemon was not ready within ${Math.round(policy.startTimeoutMs / 1000)}s`);
      }
      return { kind: "none" };
    case "ready":
    case "busy":
      if (o.daemon === "exited" || o.daemon === "absent") return crashed(s, o, now, policy, o.message ?? "the daemon stopped");
      if (s.state === "ready" && s.idleTimeoutMs > 0 && now.getTime() - s.lastActivityAt.getTime() > s.idleTimeoutMs) {
        return { kind: "begin-pause", reason: "IdleTimeout" };
      }
      return { kind: "none" };
  }
}
