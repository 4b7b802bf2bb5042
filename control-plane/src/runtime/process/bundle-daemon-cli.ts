/**
 * `tsx bundle-daemon-cli.ts <agent-runtime dir>`: writes `<dir>/dist/raworc-agent.mjs` (and its chunks), the
 * daemon bundle that an image without sources runs (the session image builds it from the same
 * sources it is built from, so it cannot be stale). Needs only esbuild, not the control plane.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { buildDaemonBundle } from "./daemon-bundle.js";

const dir = resolve(process.argv[2] ?? "agent-runtime");
const scratch = await mkdtemp(join(tmpdir(), "raworc-bundle-"));
try {
  const bundle = await buildDaemonBundle({ source: join(dir, "src", "main.ts"), cacheDir: scratch });
  // The entry, its lazily loaded chunks and source maps (the manifest only matters in a cache).
  await rm(join(dir, "dist"), { recursive: true, force: true });
  await cp(dirname(bundle.entry), join(dir, "dist"), { recursive: true, filter: (source) => !source.endsWith("manifest.json") });
  process.stdout.write(`wrote ${join(dir, "dist", "raworc-agent.mjs")} (sources ${bundle.key.slice(0, 12)})\n`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
