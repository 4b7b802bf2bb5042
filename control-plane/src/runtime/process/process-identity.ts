/**
 * Telling one process from another across control-plane restarts: a pid is only the same
 * process if its start time (/proc/<pid>/stat) is the same, because pids are reused.
 */
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { isProcessRunning } from "../../store/data-dir-lock.js";

/** What /proc/<pid>/stat says about a process. */
export interface ProcessStat {
  /** One-letter state; "Z" and "X" mean dead but not yet reaped. */
  readonly state: string;
  /** The process group id. */
  readonly pgrp: number;
  /** Start time in clock ticks since boot. */
  readonly started: string;
}

/** A process as recorded in a pid file. */
export interface ProcessIdentity {
  readonly pid: number;
  /** Start time from /proc, or "" where /proc is missing (then liveness alone decides). */
  readonly started: string;
}

// The command name in parentheses may hold spaces and parentheses, so fields are counted from its end.
function parseStat(text: string | undefined): ProcessStat | undefined {
  const fields = text?.slice(text.lastIndexOf(")") + 2).split(" ");
  if (!fields || fields.length < 20) return undefined;
  return { state: fields[0]!, pgrp: Number(fields[2]), started: fields[19]! };
}

/** The /proc stat of pid, or undefined when it does not exist (or /proc is missing). */
export async function processStat(pid: number): Promise<ProcessStat | undefined> {
  return parseStat(await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined));
}

/** processStat, synchronously: used right after spawn, before anything else can happen. */
export function processStatSync(pid: number): ProcessStat | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

function signalZero(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether the recorded process still runs: alive, and with the same start time (not a reused pid). */
export async function isSameProcessRunning(identity: ProcessIdentity): Promise<boolean> {
  if (!(await isProcessRunning(identity.pid))) return false;
  const now = await processStat(identity.pid);
  return !identity.started || !now || now.started === identity.started;
}

/**
 * Whether any live (non-zombie) process is left in the process group. Zombies do not count:
 * a parent that never reaps them must not make a stop wait for ever.
 */
export async function isGroupAlive(pgid: number): Promise<boolean> {
  if (!signalZero(-pgid)) return false;
  const pids = await readdir("/proc").catch(() => undefined);
  if (!pids) return true;
  for (const name of pids) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await processStat(Number(name));
    if (stat?.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") return true;
  }
  return false;
}
