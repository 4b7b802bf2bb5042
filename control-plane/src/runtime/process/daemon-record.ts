/**
 * The on-disk record of a session's daemon, which is what lets a restarted control plane adopt
 * daemons the previous one started: `daemon.pid` (who runs) and `daemon.exit` (how it ended).
 */
import { renameSync, writeFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import type { SessionPaths } from "./layout.js";
import type { ProcessIdentity } from "./process-identity.js";

/** A started daemon: its identity and when it was spawned. */
export interface PidRecord extends ProcessIdentity {
  /** ISO time of the spawn. */
  readonly spawnedAt: string;
}

/** How a daemon that this control plane saw exit ended. */
export interface ExitRecord extends ProcessIdentity {
  readonly exitCode: number | null;
  readonly signal: string | null;
}

// Written synchronously and renamed into place: called between spawn and the next tick, so a
// crash can only leave the old file or the new one, never half of one.
function writeJsonSync(file: string, value: unknown): void {
  const scratch = `${file}.tmp`;
  writeFileSync(scratch, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(scratch, file);
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (text === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function identityOf(value: Record<string, unknown> | undefined): ProcessIdentity | undefined {
  const pid = value?.pid;
  if (typeof pid !== "number" || !Number.isSafeInteger(pid) || pid <= 1) return undefined;
  return { pid, started: typeof value?.started === "string" ? value.started : "" };
}

/** Records a just-spawned daemon. */
export function writePidRecordSync(paths: SessionPaths, record: PidRecord): void {
  writeJsonSync(paths.pidFile, record);
}

/** The recorded daemon, or undefined when there is none (or the file is unreadable as a record). */
export async function readPidRecord(paths: SessionPaths): Promise<PidRecord | undefined> {
  const value = await readJson(paths.pidFile);
  const identity = identityOf(value);
  if (!identity) return undefined;
  return { ...identity, spawnedAt: typeof value?.spawnedAt === "string" ? value.spawnedAt : "" };
}

/** Records how the daemon exited, synchronously inside its exit event. */
export function writeExitRecordSync(paths: SessionPaths, record: ExitRecord): void {
  writeJsonSync(paths.exitFile, record);
}

/** How the daemon `identity` exited, if this control plane (or a previous one) saw it. */
export async function readExitRecord(paths: SessionPaths, identity: ProcessIdentity): Promise<ExitRecord | undefined> {
  const value = await readJson(paths.exitFile);
  const recorded = identityOf(value);
  if (recorded?.pid !== identity.pid || recorded.started !== identity.started) return undefined;
  const exitCode = typeof value?.exitCode === "number" ? value.exitCode : null;
  const signal = typeof value?.signal === "string" ? value.signal : null;
  return { ...recorded, exitCode, signal };
}

/** Forgets the daemon: after a stop, or before a new start. */
export async function removeDaemonRecords(paths: SessionPaths): Promise<void> {
  await rm(paths.exitFile, { force: true });
  await rm(paths.pidFile, { force: true });
}
