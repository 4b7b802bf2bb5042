/** Driving the stand-in sleeper process (sleeper.ts) from tests: its path, its behaviour, its readiness. */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

/** The sleeper script, to pass as a runtime's daemon entry. */
export const SLEEPER_ENTRY = fileURLToPath(new URL("./sleeper.ts", import.meta.url));

/** What the sleeper does; by default it sleeps until SIGTERM and then exits 0. */
export interface SleeperBehaviour {
  /** Exit with this code after exitAfterMs (default 0) instead of sleeping. */
  readonly exitCode?: number;
  readonly exitAfterMs?: number;
  /** Log SIGTERM and carry on, so only SIGKILL ends it. */
  readonly ignoreSigterm?: boolean;
  /** Start a child in its process group that ignores SIGTERM. */
  readonly grandchild?: boolean;
  /** Write this many bytes to stdout at start. */
  readonly stdoutBytes?: number;
}

/** What a ready sleeper reports. */
export interface SleeperReady {
  readonly pid: number;
  readonly grandchildPid?: number;
}

/** Tells the sleeper that will start in workspace what to do. */
export async function configureSleeper(workspace: string, behaviour: SleeperBehaviour): Promise<void> {
  await writeFile(join(workspace, ".sleeper.json"), JSON.stringify(behaviour));
}

/** Waits (at most timeoutMs) until the sleeper in workspace has installed its handlers, and returns its pids. */
export async function waitSleeperReady(workspace: string, timeoutMs = 20_000): Promise<SleeperReady> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(join(workspace, ".sleeper-ready"), "utf8").catch(() => undefined);
    if (text) return JSON.parse(text) as SleeperReady;
    if (Date.now() > until) throw new Error(`the sleeper in ${workspace} was not ready within ${timeoutMs} ms`);
    await sleep(25);
  }
}
