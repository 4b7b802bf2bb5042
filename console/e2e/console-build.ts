/** Builds the console when its dist/ is missing or older than its sources, so browser tests run what the sources say. */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const root = join(import.meta.dirname, "..");

function newestSource(): number {
  const files = readdirSync(join(root, "src"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
  const times = files.map((e) => statSync(join(e.parentPath, e.name)).mtimeMs);
  return Math.max(...times, statSync(join(root, "index.html")).mtimeMs, statSync(join(root, "vite.config.ts")).mtimeMs);
}

/** The built console's directory, building it first when stale. */
export async function ensureConsoleBuilt(): Promise<string> {
  const dist = join(root, "dist");
  const index = join(dist, "index.html");
  if (!existsSync(index) || statSync(index).mtimeMs < newestSource()) {
    // The workspace's own build script, exactly as `npm run build` runs it.
    await promisify(execFile)("npm", ["run", "build", "--silent"], { cwd: root });
  }
  return dist;
}
