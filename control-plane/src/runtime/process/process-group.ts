/**
 * Stopping a daemon together with everything it started: each daemon leads its own process
 * group, so its tool subprocesses are signalled with it and none is left running in the volume.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isGroupAlive } from "./process-identity.js";

const POLL_MS = 50;
/** How long a SIGKILLed group may take to disappear before stopping is reported as failed. */
const KILL_WAIT_MS = 5_000;

/** Sends a signal to every process of the group; a group that is already gone is not an error. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** Waits until no live process is left in the group or deadlineMs has passed; returns whether it is gone. */
async function waitGroupGone(pgid: number, deadlineMs: number): Promise<boolean> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (!(await isGroupAlive(pgid))) return true;
    if (Date.now() >= until) return false;
    await sleep(POLL_MS);
  }
}

/**
 * SIGTERM to the group, up to graceMs for it to go, then SIGKILL; resolves once no process of
 * the group is left and returns whether it took the SIGKILL. Throws if even SIGKILL did not
 * end it (a process stuck in the kernel), so the caller retries rather than forgets it.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<{ killed: boolean }> {
  signalGroup(pgid, "SIGTERM");
  if (await waitGroupGone(pgid, graceMs)) return { killed: false };
  signalGroup(pgid, "SIGKILL");
  if (await waitGroupGone(pgid, KILL_WAIT_MS)) return { killed: true };
  throw new Error(`process group ${pgid} is still alive ${KILL_WAIT_MS} ms after SIGKILL`);
}
