/**
 * A session's volume in the process runtime: a directory. Creating it, copying another
 * session's into it (remix), and removing it even when the agent left read-only directories.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, cp, lstat, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const TEMP_PREFIX = ".workspace-";
const TEMP_SUFFIX = ".tmp";

/** Whether the volume directory exists. */
export async function volumeExists(workspace: string): Promise<boolean> {
  return stat(workspace).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** Creates the session directory and an empty volume (mode 0700) unless they exist. */
export async function createVolume(sessionDir: string, workspace: string): Promise<void> {
  await ensureSessionDir(sessionDir);
  await mkdir(workspace, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "EEXIST") throw err;
  });
}

/** Creates `<dataDir>/sessions/<id>` (mode 0700) unless it exists. */
export async function ensureSessionDir(sessionDir: string): Promise<void> {
  await mkdir(sessionDir, { recursive: true, mode: 0o700 });
}

/**
 * Copies the volume `source` to `target` (which must not exist yet), all or nothing: into a
 * temporary directory beside the target, then renamed into place. Files are cloned with
 * reflinks where the file system has them (and copied otherwise); symlinks are recreated with
 * their target text as is, so a link never makes the copy read outside the source tree, and a
 * relative link keeps pointing inside the copy; sockets, FIFOs and devices are skipped.
 */
export async function copyVolume(source: string, target: string, sessionDir: string): Promise<void> {
  if (!(await volumeExists(source))) throw new Error(`cannot copy the volume ${source}: it does not exist`);
  await ensureSessionDir(sessionDir);
  await removeStaleCopies(sessionDir);
  const scratch = join(sessionDir, `${TEMP_PREFIX}${randomBytes(6).toString("hex")}${TEMP_SUFFIX}`);
  try {
    await cp(source, scratch, {
      recursive: true,
      mode: constants.COPYFILE_FICLONE,
      dereference: false,
      verbatimSymlinks: true,
      preserveTimestamps: true,
      errorOnExist: true,
      force: false,
      filter: async (path) => {
        const s = await lstat(path);
        return s.isFile() || s.isDirectory() || s.isSymbolicLink();
      },
    });
    await chmod(scratch, 0o700);
    await rename(scratch, target);
  } catch (err) {
    await removeTree(scratch);
    // Another copy got there first (rename onto a non-empty directory): the target is whole either way.
    if ((err as NodeJS.ErrnoException).code === "ENOTEMPTY" || (err as NodeJS.ErrnoException).code === "EEXIST") return;
    throw err;
  }
}

// A copy interrupted by a crash leaves its temporary directory; only one copy per session runs at a time.
async function removeStaleCopies(sessionDir: string): Promise<void> {
  for (const name of await readdir(sessionDir)) {
    if (name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX)) await removeTree(join(sessionDir, name));
  }
}

/** Removes a directory tree, including directories the agent made read-only (a Go module cache does that). */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM") throw err;
    await makeDirectoriesWritable(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

async function makeDirectoriesWritable(dir: string): Promise<void> {
  const s = await lstat(dir).catch(() => undefined);
  if (!s?.isDirectory()) return;
  await chmod(dir, (s.mode & 0o7777) | 0o700);
  for (const name of await readdir(dir)) await makeDirectoriesWritable(join(dir, name));
}
