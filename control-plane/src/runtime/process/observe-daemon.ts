/**
 * What the files of a session say about a daemon that is not a child of this control plane
 * (one a previous control plane started): running when its pid is alive with the recorded
 * start time, exited otherwise, with the exit status when some control plane saw it.
 */
import type { RuntimeObservation } from "../session-runtime.js";
import { readExitRecord, readPidRecord, type ExitRecord } from "./daemon-record.js";
import type { SessionPaths } from "./layout.js";
import { isSameProcessRunning, processStat, type ProcessIdentity } from "./process-identity.js";

/** The daemon part of an observation. */
export type DaemonObservation = Pick<RuntimeObservation, "daemon" | "exitCode" | "message" | "handle">;

/** A human reading of how a daemon ended. */
export function describeExit(exit: Pick<ExitRecord, "exitCode" | "signal">): string {
  if (exit.signal) return `the daemon was killed by ${exit.signal}`;
  return `the daemon exited with code ${exit.exitCode ?? "unknown"}`;
}

/** Observes the daemon recorded in the session's pid file. */
export async function observeRecordedDaemon(paths: SessionPaths): Promise<DaemonObservation> {
  const record = await readPidRecord(paths);
  if (!record) return { daemon: "absent" };
  const handle = String(record.pid);
  if (await isSameProcessRunning(record)) return { daemon: "running", handle };
  const exit = await readExitRecord(paths, record);
  if (exit) return { daemon: "exited", handle, message: describeExit(exit), ...(exit.exitCode === null ? {} : { exitCode: exit.exitCode }) };
  return {
    daemon: "exited",
    handle,
    message: `the daemon (pid ${record.pid}) exited while no control plane was watching it; its exit status is unknown`,
  };
}

/**
 * Whether the process group that the recorded daemon leads can still only hold its processes.
 * A pid is never reused while a process group of that id exists, so the group is ours unless
 * the pid now names a different live process (a different start time).
 */
export async function isGroupOurs(identity: ProcessIdentity): Promise<boolean> {
  const now = await processStat(identity.pid);
  if (!now || !identity.started) return true;
  return now.started === identity.started;
}
