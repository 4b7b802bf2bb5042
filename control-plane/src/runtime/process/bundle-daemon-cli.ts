/**
 * `tsx bundle-daemon-cli.ts <agent-runtime dir>`: writes `<dir>/dist/raworc-agent.mjs`, the
 * daemon bundle that an image without sources runs (the session image builds it from the same
 * sources it is built from, so it cannot be stale). Needs only esbuild, not the control plane.
 */
import { copyFile, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildDaemonBundle } from "./daemon-bundle.js";

const dir = resolve(process.argv[2] ?? "agent-runtime");
const scratch = await mkdtemp(join(tmpdir(), "raworc-bundle-"));
try {
  const bundle = await buildDaemonBundle({ source: join(dir, "src", "main.ts"), cacheDir: scratch });
  await mkdir(join(dir, "dist"), { recursive: true });
  await copyFile(bundle.entry, join(dir, "dist", "raworc-agent.mjs"));
  await copyFile(`${bundle.entry}.map`, join(dir, "dist", "raworc-agent.mjs.map"));
  process.stdout.write(`wrote ${join(dir, "dist", "raworc-agent.mjs")} (sources ${bundle.key.slice(0, 12)})\n`);
} finally {
  await rm(scratch, { recursive: true, force: true });
}
