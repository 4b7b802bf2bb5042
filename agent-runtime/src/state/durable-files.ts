/**
 * File writes that survive a crash or power cut: data is fsync'd before it is named, and the
 * directory is fsync'd after it changes, so a reader after a crash sees either the old file or
 * the whole new one, never a torn mix.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Prefix of temporary files; anything starting with it is a write that did not finish and may be deleted. */
export const temporaryPrefix = ".tmp-";

/** Flushes a directory's entries (creations, renames, deletions) to disk. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes `data` to `path` atomically: a temporary file in the same directory, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temporary = join(directory, `${temporaryPrefix}${basename(path)}-${randomBytes(4).toString("hex")}`);
  const handle = await open(temporary, "w", 0o600);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await fsyncDirectory(directory);
}

/** Appends `data` to `path` (creating it) and fsyncs before returning. */
export async function appendDurably(path: string, data: string): Promise<void> {
  const handle = await open(path, "a", 0o600);
  try {
    await handle.appendFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Serialises async work: each task starts after the previous one settled (used where order is the invariant). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it; its result or error goes to the caller only. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
