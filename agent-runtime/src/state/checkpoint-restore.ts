/**
 * Materialises a checkpoint in a workspace: afterwards the workspace (`.raworc/` aside) holds
 * exactly the manifest's directories, files (content and mode) and symbolic links. Paths not in
 * the manifest are removed; a file whose content already matches is kept as is; any other file is
 * cloned from the store (a reflink where the file system has them, a copy otherwise) into a
 * temporary file and renamed into place, so a crash never leaves a torn file. Hard links to the
 * objects are not used: a tool appending to a workspace file in place would then corrupt the
 * store. Every object is checked before anything changes, and running it again is harmless.
 */
import { createHash, randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, open, readlink, rename, rm, symlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { StateError } from "../errors.js";
import type { FileEntry, Manifest, ManifestEntry } from "./checkpoint-manifest.js";
import { scanWorkspace, type ScannedEntry } from "./checkpoint-scan.js";
import { mapConcurrently } from "./checkpoint-parallel.js";
import type { CheckpointStore } from "./checkpoint-store.js";
import { fsyncDirectory, temporaryPrefix } from "./durable-files.js";

/** What a restore changed. */
export interface RestoreReport {
  /** Paths removed because the checkpoint does not have them (or has another kind of entry there). */
  readonly removed: number;
  /** Files and links written from the store. */
  readonly written: number;
  /** Files and links already as the checkpoint has them. */
  readonly kept: number;
}

async function sameContent(path: string, entry: FileEntry, size: bigint): Promise<boolean> {
  if (Number(size) !== entry.size) return false;
  const hash = createHash("sha256");
  const handle = await open(path, "r");
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
  } finally {
    await handle.close();
  }
  return hash.digest("hex") === entry.hash;
}

function sameKind(found: ScannedEntry, wanted: ManifestEntry | undefined): boolean {
  return wanted !== undefined && found.type === wanted.type;
}

const temporaryName = (path: string): string => join(dirname(path), `${temporaryPrefix}restore-${randomBytes(6).toString("hex")}`);

/** Makes `workspace` hold exactly `manifest`; a StateError (before any change) when the store lacks one of its objects. */
export async function materialiseCheckpoint(store: CheckpointStore, manifest: Manifest, workspace: string): Promise<RestoreReport> {
  for (const entry of manifest.entries) {
    if (entry.type === "file" && !(await store.hasObject(entry.hash))) {
      throw new StateError(`the checkpoint store lacks the content of ${entry.path}; nothing was restored`, store.objectPath(entry.hash));
    }
  }
  const wanted = new Map(manifest.entries.map((entry) => [entry.path, entry]));
  const current = await scanWorkspace(workspace);
  const present = new Map<string, ScannedEntry>();
  let removed = 0;
  // Children before their parents, so a removed directory's contents are counted once with it.
  for (const found of [...current].reverse()) {
    if (sameKind(found, wanted.get(found.path))) {
      present.set(found.path, found);
      continue;
    }
    // Directories the agent made read-only are opened up first, or their contents cannot go.
    if (found.type === "dir") await chmod(found.absolute, 0o700).catch(() => undefined);
    await rm(found.absolute, { recursive: true, force: true });
    removed++;
  }
  // A directory removed above takes what was inside with it.
  for (const path of present.keys()) {
    const parts = path.split("/");
    for (let depth = 1; depth < parts.length; depth++) {
      if (!present.has(parts.slice(0, depth).join("/"))) {
        present.delete(path);
        break;
      }
    }
  }
  // Which present files already hold their content: compared (read and hashed) several at once.
  const candidates = manifest.entries.filter((entry): entry is FileEntry => entry.type === "file" && present.get(entry.path)?.type === "file");
  const matching = await mapConcurrently(candidates, (entry) => {
    const found = present.get(entry.path);
    return found?.type === "file" ? sameContent(found.absolute, entry, found.stats.size) : Promise.resolve(false);
  });
  const unchanged = new Set(candidates.filter((_entry, index) => matching[index]).map((entry) => entry.path));
  let written = 0;
  let kept = 0;
  const changedDirectories = new Set<string>();
  for (const entry of manifest.entries) {
    const target = join(workspace, entry.path);
    const found = present.get(entry.path);
    if (entry.type === "dir") {
      // Owner access while filling it; the recorded mode is applied once its contents are in place.
      if (!found) await mkdir(target, { mode: 0o700 });
      else await chmod(target, 0o700);
      if (!found) changedDirectories.add(dirname(target));
      continue;
    }
    if (entry.type === "link") {
      if (found?.type === "link" && (await readlink(target)) === entry.target) {
        kept++;
        continue;
      }
      const temporary = temporaryName(target);
      await symlink(entry.target, temporary);
      await rename(temporary, target);
      changedDirectories.add(dirname(target));
      written++;
      continue;
    }
    if (found?.type === "file" && unchanged.has(entry.path)) {
      if (Number(found.stats.mode & 0o7777n) !== entry.mode) await chmod(target, entry.mode);
      kept++;
      continue;
    }
    const temporary = temporaryName(target);
    await copyFile(store.objectPath(entry.hash), temporary, constants.COPYFILE_FICLONE);
    try {
      const handle = await open(temporary, "r");
      await handle.sync().finally(() => handle.close());
      await chmod(temporary, entry.mode);
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    changedDirectories.add(dirname(target));
    written++;
  }
  for (const directory of changedDirectories) await fsyncDirectory(directory);
  for (const entry of [...manifest.entries].reverse()) if (entry.type === "dir") await chmod(join(workspace, entry.path), entry.mode);
  return { removed, written, kept };
}
