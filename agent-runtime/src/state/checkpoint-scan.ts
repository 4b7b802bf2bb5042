/**
 * Reads what a workspace holds for a checkpoint: every directory, regular file and symbolic link
 * below the root (never following links, skipping `.raworc/` at the root and sockets, FIFOs and
 * devices), with the stat fields a manifest keeps. Sorted by path, so manifests are canonical.
 */
import type { BigIntStats } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import { daemonDirName } from "@raworc/contract";

/** One path found in the workspace. */
export type ScannedEntry =
  | { readonly type: "file"; readonly path: string; readonly absolute: string; readonly stats: BigIntStats }
  | { readonly type: "link"; readonly path: string; readonly absolute: string; readonly target: string }
  | { readonly type: "dir"; readonly path: string; readonly absolute: string; readonly stats: BigIntStats };

/** Every checkpointed path under `workspace`, sorted by path (code-unit order); directories the daemon may not read go to `unreadable`. */
export async function scanWorkspace(workspace: string, unreadable: string[] = []): Promise<ScannedEntry[]> {
  const found: ScannedEntry[] = [];
  await scanDirectory(workspace, "", found, unreadable);
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function scanDirectory(absolute: string, relative: string, found: ScannedEntry[], unreadable: string[]): Promise<void> {
  let names: string[];
  try {
    names = await readdir(absolute);
  } catch (error) {
    // A directory removed while we look at it is simply not part of the checkpoint.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    // The agent may take its own permissions away; that must not stop the session.
    if ((error as NodeJS.ErrnoException).code === "EACCES") {
      unreadable.push(relative);
      return;
    }
    throw error;
  }
  for (const name of names) {
    if (relative === "" && name === daemonDirName) continue;
    const path = relative === "" ? name : `${relative}/${name}`;
    const child = join(absolute, name);
    let stats: BigIntStats;
    try {
      stats = await lstat(child, { bigint: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw error;
    }
    if (stats.isSymbolicLink()) {
      found.push({ type: "link", path, absolute: child, target: await readlink(child) });
    } else if (stats.isFile()) {
      found.push({ type: "file", path, absolute: child, stats });
    } else if (stats.isDirectory()) {
      found.push({ type: "dir", path, absolute: child, stats });
      await scanDirectory(child, path, found, unreadable);
    }
  }
}
