/** Figure 6: memory — an idle daemon's RSS, and the control plane's RSS with N live sessions. */
import { readdir, readFile } from "node:fs/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { agents, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, summarize, type FigureResult } from "../stats.js";

const MB = 2 ** 20;

/** RSS in bytes of `pid` and every descendant (the daemon may run under a launcher). */
async function treeRss(pid: number): Promise<number> {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? "0");
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? "0");
    rss.set(Number(entry), kb * 1024);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    total += rss.get(next) ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return total;
}

/** This process's RSS after a full garbage collection. */
function rssAfterGc(): number {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  return process.memoryUsage().rss;
}

/** The control plane's RSS before any session (measured at harness start). */
export function controlPlaneIdleRss(): number {
  return rssAfterGc();
}

/** Starts N sessions, then measures each idle daemon and the control plane; returns two rows. */
export async function memory(h: Harness, s: BenchSettings, idleRss: number): Promise<FigureResult[]> {
  const names = Array.from({ length: s.sessions }, (_, i) => `mem-${i}`);
  const started = [];
  for (const name of names) started.push(await h.createReady(name, agents.ticker));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const daemons: number[] = [];
  for (const session of started) daemons.push((await treeRss(Number(session.status?.runtime?.handle ?? "0"))) / MB);
  const cpRss = rssAfterGc();
  for (const name of names) await h.remove(name);
  const d = summarize(daemons);
  const perSessionKb = (cpRss - idleRss) / 1024 / s.sessions;
  const budgetMb = 150 + (50 * s.sessions) / 1024;
  return [
    figure({
      name: "daemon RSS, idle",
      unit: "MB",
      measured: d,
      baseline: undefined,
      baselineLabel: "—",
      target: "≤ 60 MB",
      pass: d.p50 <= 60,
      note: d.p50 <= 60 ? "" : "not profiled yet; suspect: Node + tsx (the TypeScript compiler in memory); a bundled JS daemon is the likely fix",
    }),
    figure({
      name: `control-plane RSS, ${s.sessions} live sessions`,
      unit: "MB",
      measured: summarize([cpRss / MB]),
      baseline: summarize([idleRss / MB]),
      baselineLabel: "same process, no sessions",
      target: `≤ 150 MB + 50 KB/session (${budgetMb.toFixed(1)} MB)`,
      pass: cpRss / MB <= budgetMb,
      note: `≈ ${perSessionKb.toFixed(0)} KB per session; RSS of the bench process (control plane plus the bench clients), already ${(idleRss / MB).toFixed(0)} MB with no session`,
    }),
  ];
}
