/** Figure 1: CreateSession → READY with a cold daemon, against spawning a bare `node` that connects back. */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { agents, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, since, summarize, type FigureResult } from "../stats.js";

/** Milliseconds from spawning `node` to its TCP connection being accepted (the baseline of figures 1 and 2). */
export async function bareSpawn(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  const connected = new Promise<void>((resolve) => server.once("connection", (socket) => (socket.end(), resolve())));
  const start = performance.now();
  const child = spawn(process.execPath, ["-e", `require("node:net").connect(${address.port}, "127.0.0.1").on("close", () => process.exit(0))`], { stdio: "ignore" });
  await connected;
  const ms = since(start);
  await new Promise((resolve) => child.once("exit", resolve));
  await new Promise((resolve) => server.close(resolve));
  return ms;
}

/** Measures cold starts and the bare spawn, alternating so both see the same machine. */
export async function readyCold(h: Harness, s: BenchSettings): Promise<FigureResult> {
  const measured: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < s.coldSamples; i++) {
    baseline.push(await bareSpawn());
    const start = performance.now();
    await h.createReady(`cold-${i}`, agents.ticker);
    measured.push(since(start));
    await h.remove(`cold-${i}`);
  }
  const m = summarize(measured);
  const b = summarize(baseline);
  const pass = m.p50 <= 2 * b.p50;
  return figure({
    name: "CreateSession → READY, cold",
    unit: "ms",
    measured: m,
    baseline: b,
    baselineLabel: "spawn bare node + TCP connect back",
    target: "p50 ≤ 2× baseline",
    pass,
    note: pass ? "" : "bundled JS daemon under plain node; profiled: node start and module loading of the daemon, then the same attach path as figure 2 (see the README)",
  });
}
