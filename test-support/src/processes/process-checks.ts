/** Bounded waits and /proc readings for tests that supervise real processes. */
import { readdir, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";

/** Polls check until it returns true; throws naming what was awaited after timeoutMs. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(25);
  }
}

/** Whether pid is gone (or a zombie, which is dead but not yet reaped by its parent). */
export async function isGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  return stat === "" || state === "Z" || state === "X";
}

/** The NUL-separated strings of /proc/<pid>/cmdline or /proc/<pid>/environ. */
export async function procStrings(pid: number, file: "cmdline" | "environ"): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/${file}`, "utf8");
  return text.split("\0").filter((s) => s !== "");
}

/** The live processes whose command line has arg as one of its arguments. */
export async function processesWithArgument(arg: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const argv = await procStrings(Number(name), "cmdline").catch((): string[] => []);
    if (argv.includes(arg) && !(await isGone(Number(name)))) found.push(Number(name));
  }
  return found;
}
