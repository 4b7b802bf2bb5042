/**
 * Exclusive use of a data directory by one raworc process, recorded in `<dataDir>/raworc.pid`,
 * so a start can tell a server that still runs from one left behind by a raworc that crashed.
 */
import { randomBytes } from "node:crypto";
import { unlinkSync } from "node:fs";
import { link, readFile, unlink, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigurationError } from "../errors.js";

/** The lock file's name inside the data directory; its first line is the owner's pid. */
export const LOCK_FILE = "raworc.pid";
const ATTEMPTS = 5;

/** A held data-directory lock. */
export interface DataDirLock {
  /** Path of the lock file. */
  readonly file: string;
  /** Removes the lock file if it still names this process; safe to call more than once. */
  release(): Promise<void>;
}

interface Owner {
  readonly pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat), or "" where /proc is missing. */
  readonly started: string;
}

// Two starts in one process (tests do that) are told apart here, since the pid cannot tell them apart.
const heldHere = new Set<string>();

/** Takes the lock of dataDir, or throws a one-line ConfigurationError naming the live raworc that holds it. */
export async function acquireDataDirLock(dataDir: string): Promise<DataDirLock> {
  const file = join(resolve(dataDir), LOCK_FILE);
  if (heldHere.has(file)) throw new ConfigurationError(`the data directory ${dataDir} is already in use by this raworc process`);
  const me: Owner = { pid: process.pid, started: (await processStat(process.pid))?.started ?? "" };
  // Written aside and linked into place, so a reader never sees a half-written lock and judges it stale.
  const scratch = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(scratch, `${me.pid}\n${me.started}\n`, { mode: 0o600 });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await link(scratch, file);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt === ATTEMPTS) throw err;
      }
      const owner = parseOwner(await readFile(file, "utf8").catch(() => ""));
      if (owner && (await isRunningOwner(owner))) {
        throw new ConfigurationError(`another raworc (pid ${owner.pid}) is using the data directory ${dataDir}; stop it first, or give this one another data directory`);
      }
      // As PostgreSQL does with postmaster.pid: a lock whose owner is gone is removed and the create retried.
      await unlink(file).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "ENOENT") throw e;
      });
    }
  } finally {
    await unlink(scratch).catch(() => undefined);
  }

  heldHere.add(file);
  // A process that exits without release() (an uncaught error) must not leave a lock naming a live pid in a container that restarts it.
  const releaseOnExit = () => {
    if (!heldHere.delete(file)) return;
    try {
      unlinkSync(file);
    } catch {
      // Already gone: nothing to release.
    }
  };
  process.once("exit", releaseOnExit);
  let released: Promise<void> | undefined;
  return {
    file,
    release: () =>
      (released ??= (async () => {
        process.off("exit", releaseOnExit);
        heldHere.delete(file);
        const owner = parseOwner(await readFile(file, "utf8").catch(() => ""));
        if (owner?.pid === me.pid && owner.started === me.started) await unlink(file).catch(() => undefined);
      })()),
  };
}

/** Whether pid is a process that still runs (neither gone nor a zombie waiting to be reaped). */
export async function isProcessRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const stat = await processStat(pid);
  return stat?.state !== "Z" && stat?.state !== "X";
}

/** The owner still runs when its pid is alive with the same start time; a pid reused by another process has a different one. */
async function isRunningOwner(owner: Owner): Promise<boolean> {
  if (owner.pid === process.pid) return false;
  if (!(await isProcessRunning(owner.pid))) return false;
  const now = await processStat(owner.pid);
  return !owner.started || !now || now.started === owner.started;
}

function parseOwner(text: string): Owner | undefined {
  const [pid, started = ""] = text.split("\n");
  const n = Number(pid);
  return Number.isSafeInteger(n) && n > 0 ? { pid: n, started: started.trim() } : undefined;
}

/** State and start time from /proc/<pid>/stat; undefined without /proc (then liveness alone decides). */
async function processStat(pid: number): Promise<{ state: string; started: string } | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  // The command name in parentheses may hold spaces and parentheses, so fields are counted from its end.
  const fields = text?.slice(text.lastIndexOf(")") + 2).split(" ");
  if (!fields || fields.length < 20) return undefined;
  return { state: fields[0]!, started: fields[19]! };
}
