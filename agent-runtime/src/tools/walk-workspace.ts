/**
 * A depth-first, name-ordered walk of a workspace directory that never follows symbolic links
 * (so it cannot leave the workspace) and never enters the daemon's `.raworc/`.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { isDaemonPath } from "./workspace-path.js";

/** One entry met by the walk. */
export interface WalkEntry {
  /** Path relative to the workspace root, "/"-separated. */
  readonly relative: string;
  /** Absolute path. */
  readonly absolute: string;
  /** What the entry is (a symlink is reported, never followed). */
  readonly kind: "file" | "directory" | "symlink" | "other";
  /** Depth below the walk's start (1 for its direct children). */
  readonly depth: number;
}

/** Options of a walk. */
export interface WalkOptions {
  /** How deep to descend (1 = direct children only). */
  readonly maxDepth: number;
  /** Directory names skipped wherever they occur (besides `.raworc/` at the root). */
  readonly skipNames?: ReadonlySet<string>;
  /** Stops the walk. */
  readonly signal?: AbortSignal;
}

/** Walks `start` (absolute, real, with `startRelative` its workspace-relative path). */
export async function* walkWorkspace(
  start: string,
  startRelative: string,
  options: WalkOptions,
): AsyncGenerator<WalkEntry> {
  yield* walkDir(start, startRelative, 1, options);
}

async function* walkDir(dir: string, rel: string, depth: number, options: WalkOptions): AsyncGenerator<WalkEntry> {
  options.signal?.throwIfAborted();
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const relative = rel === "" ? entry.name : `${rel}/${entry.name}`;
    if (isDaemonPath(relative)) continue;
    const kind = entry.isSymbolicLink()
      ? "symlink"
      : entry.isDirectory()
        ? "directory"
        : entry.isFile()
          ? "file"
          : "other";
    if (kind === "directory" && options.skipNames?.has(entry.name)) continue;
    const absolute = join(dir, entry.name);
    yield { relative, absolute, kind, depth };
    if (kind === "directory" && depth < options.maxDepth) yield* walkDir(absolute, relative, depth + 1, options);
  }
}
