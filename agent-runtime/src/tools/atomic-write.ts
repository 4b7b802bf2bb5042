/**
 * Atomic replacement of a workspace file: the new content goes to a temporary file in the same
 * directory, then a rename puts it in place, so a reader never sees half a file.
 */
import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Writes `content` to `realPath` atomically, creating missing parent directories and keeping an existing file's mode. */
export async function writeFileAtomic(realPath: string, content: string, signal?: AbortSignal): Promise<void> {
  const dir = dirname(realPath);
  await mkdir(dir, { recursive: true });
  const mode = await stat(realPath).then(
    (info) => info.mode & 0o7777,
    () => 0o644,
  );
  const temp = join(dir, `.${basename(realPath)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, content, { mode, flag: "wx", signal });
    await rename(temp, realPath);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
