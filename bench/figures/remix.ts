/** Figure 5: remix of a session with a large workspace (RemixSession → child READY), against `cp -r` of the same tree. */
import { execFile } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { agents, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, since, summarize, type FigureResult } from "../stats.js";

const run = promisify(execFile);

/** Writes `files` files of `bytes` each under `dir`, 100 to a folder. */
async function fillTree(dir: string, files: number, bytes: number): Promise<void> {
  const content = Buffer.alloc(bytes, 7);
  for (let i = 0; i < files; i++) {
    const folder = join(dir, "tree", `d${Math.floor(i / 100)}`);
    if (i % 100 === 0) await mkdir(folder, { recursive: true });
    await writeFile(join(folder, `f${i}.bin`), content);
  }
}

/** Measures remixes of one filled session and `cp -r` of its workspace. */
export async function remix(h: Harness, s: BenchSettings): Promise<FigureResult> {
  const files = Math.max(10, Math.round(10_000 * s.scale));
  const totalBytes = Math.max(1 << 20, Math.round(2 ** 30 * s.scale));
  const source = await h.createReady("big", agents.ticker);
  const workspace = join(h.dataDir, "sessions", source.metadata!.uid, "workspace");
  await fillTree(workspace, files, Math.floor(totalBytes / files));
  const measured: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < s.remixSamples; i++) {
    const copy = join(h.dataDir, `cp-${i}`);
    const copyStart = performance.now();
    await run("cp", ["-r", workspace, copy]);
    baseline.push(since(copyStart));
    await rm(copy, { recursive: true, force: true });

    const start = performance.now();
    await h.sessions.remixSession({ source: { namespace: "default", name: "big" }, name: `big-${i}` });
    await h.waitState(`big-${i}`, SessionState.READY);
    measured.push(since(start));
    await h.remove(`big-${i}`);
  }
  await h.remove("big");
  const m = summarize(measured);
  const b = summarize(baseline);
  const pass = m.p50 <= 0.1 * b.p50;
  return figure({
    name: `remix, ${files} files / ${(totalBytes / 2 ** 20).toFixed(0)} MiB`,
    unit: "ms",
    measured: m,
    baseline: b,
    baselineLabel: "cp -r of the same tree",
    target: "≤ 0.1× baseline",
    pass,
    note: `includes the child's cold start; BENCH_SCALE=${s.scale} of 1 GiB / 10,000 files${pass ? "" : "; without reflinks the process runtime copies bytes, and the daemon's cold start alone exceeds 0.1× of a small copy"}`,
  });
}
