/** Reads `-f` arguments: files, directories of .yaml/.yml/.json files, or `-` for standard input. */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { readAll } from "../prompt.js";
import { parseManifests, type ManifestObject, type ManifestOptions } from "./manifest.js";

/** Reads and parses every `-f` source in order; nothing is sent until all of them parse. */
export async function readManifestFiles(paths: readonly string[], io: Io, options: ManifestOptions = {}): Promise<ManifestObject[]> {
  if (paths.filter((p) => p === "-").length > 1) throw new UsageError("-f -: standard input can be read only once");
  const out: ManifestObject[] = [];
  for (const path of paths) {
    for (const file of await expand(path)) {
      const text = file === "-" ? await readAll(io.stdin) : await readFile(file, "utf8");
      out.push(...parseManifests(text, file === "-" ? "<stdin>" : file, options));
    }
  }
  if (out.length === 0) throw new UsageError(`no objects in ${paths.join(", ")}`);
  return out;
}

/** A path's files: itself, or a directory's .yaml/.yml/.json files in name order. */
async function expand(path: string): Promise<string[]> {
  if (path === "-") return [path];
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    throw new UsageError(`-f ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file or directory" : (error as Error).message}`);
  }
  if (!info.isDirectory()) return [path];
  const names = (await readdir(path)).filter((n) => /\.(ya?ml|json)$/i.test(n)).sort();
  return names.map((n) => join(path, n));
}
