/** Figure 2: CreateSession → READY when a loaded warm daemon is waiting (RAWORC_WARM_POOL), against the same bare node spawn as figure 1. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { agents, startHarness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, since, summarize, type FigureResult } from "../stats.js";
import { bareSpawn } from "./ready-cold.js";

/** Waits until a warm daemon has loaded its code (its first log line says so). */
async function warmDaemonLoaded(dataDir: string): Promise<void> {
  const dir = join(dataDir, "warm");
  for (let waited = 0; waited < 60_000; waited += 20) {
    for (const name of await readdir(dir).catch((): string[] => [])) {
      if ((await readFile(join(dir, name), "utf8").catch(() => "")).includes("waiting for a session")) return;
    }
    await sleep(20);
  }
  throw new Error("no warm daemon loaded within 60 s");
}

/** Measures starts that claim a warm daemon: a control plane of its own with a pool of one, refilled (and waited for) before each sample. */
export async function readyWarm(eventsPerTurn: number, s: BenchSettings): Promise<FigureResult> {
  const h = await startHarness(eventsPerTurn, 1);
  const measured: number[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < s.coldSamples; i++) {
      baseline.push(await bareSpawn());
      await warmDaemonLoaded(h.dataDir);
      const start = performance.now();
      await h.createReady(`warm-${i}`, agents.ticker);
      measured.push(since(start));
      await h.remove(`warm-${i}`);
    }
  } finally {
    await h.close();
  }
  const m = summarize(measured);
  const pass = m.p50 <= 50;
  return figure({
    name: "CreateSession → READY, warm pool",
    unit: "ms",
    measured: m,
    baseline: summarize(baseline),
    baselineLabel: "spawn bare node + TCP connect back (reference; the target is absolute)",
    target: "p50 ≤ 50 ms",
    pass,
    note: pass ? "" : "profiled: CreateSession's own transaction, the claim and the daemon opening its volume, attach + authentication at the control plane, Ready → READY at the watcher (see the README)",
  });
}
