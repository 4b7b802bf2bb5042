/** `npm run bench`: starts the control plane, measures each figure against its same-run baseline, prints and writes the results. */
import { join } from "node:path";
import { eventThroughput } from "./figures/events.js";
import { firstToken } from "./figures/first-token.js";
import { memoryAtScale, memoryLive } from "./figures/memory.js";
import { readyCold } from "./figures/ready-cold.js";
import { readyWarm } from "./figures/ready-warm.js";
import { remix } from "./figures/remix.js";
import { tracingOverhead } from "./figures/tracing-overhead.js";
import { unaryRpc } from "./figures/unary-rpc.js";
import { webhookLag } from "./figures/webhook-lag.js";
import { consoleBundle, corsOverhead, sessionPageRender } from "./figures/web.js";
import { releaseSharedResources } from "@raworc/test-support/shared-resources.js";
import { startHarness } from "./harness.js";
import { machine, table, writeResults } from "./report.js";
import { loadSettings } from "./settings.js";
import type { FigureResult } from "./stats.js";

const settings = loadSettings();
console.error(`bench: ${settings.quick ? "quick " : ""}run on ${machine()}`);
const harness = await startHarness(settings.eventsPerTurn);
const results: FigureResult[] = [];
let failed = false;
try {
  // Memory measures control planes of its own (child processes) and is listed last.
  const figures: [string, () => Promise<FigureResult | FigureResult[]>][] = [
    ["memory", () => memoryLive(settings)],
    ["memory-at-scale", () => memoryAtScale(settings)],
    ["ready-cold", () => readyCold(harness, settings)],
    ["ready-warm", () => readyWarm(settings.eventsPerTurn, settings)],
    ["unary-rpc", () => unaryRpc(harness, settings)],
    ["first-token", () => firstToken(harness, settings)],
    ["events", () => eventThroughput(harness, settings)],
    ["remix", () => remix(harness, settings)],
    ["webhook-lag", () => webhookLag(harness, settings)],
    ["tracing-overhead", () => tracingOverhead(settings)],
    ["console-bundle", () => consoleBundle()],
    ["console-render", () => sessionPageRender(harness, settings)],
    ["cors", () => corsOverhead(harness, settings)],
  ];
  // BENCH_ONLY=memory,ready-warm runs only the named figures (to re-measure one after a change).
  const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
  for (const [name, measure] of figures.filter(([name]) => !only || only.includes(name))) {
    const start = performance.now();
    try {
      const got = await measure();
      results.push(...(Array.isArray(got) ? got : [got]));
      console.error(`bench: ${name} done in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    } catch (err) {
      failed = true;
      console.error(`bench: ${name} failed:`, err);
    }
  }
} finally {
  await harness.close();
  // The child control planes' databases and the embedded PostgreSQL they share.
  await releaseSharedResources();
}
results.push(...results.splice(0, results.filter((r) => r.unit === "MB").length));
console.log(table(results));
await writeResults(join(import.meta.dirname, "results"), results, settings);
console.error("bench: wrote bench/results/latest.json and latest.svg");
if (failed) process.exitCode = 1;
