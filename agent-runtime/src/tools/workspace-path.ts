/**
 * Confinement of user-supplied paths to the workspace. A path is resolved lexically (refusing
 * NUL, `..` escapes, absolute paths elsewhere and prefix look-alikes such as `/ws-evil` for
 * `/ws`), then through the real path of its deepest existing ancestor, so a symlink pointing
 * outside (or into `.raworc/`) is refused while one pointing inside is followed. The tools then
 * act on the returned real path, never on the string the model sent.
 */
import { lstat, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { daemonDirName as DAEMON_DIR } from "@raworc/contract";

import { ToolInputError, ToolRefusedError } from "../errors.js";

/** A path confined to the workspace. */
export interface WorkspacePath {
  /** The absolute real path to act on (its missing tail, if any, appended to a real ancestor). */
  readonly real: string;
  /** The path relative to the workspace's real root ("" for the root), with "/" separators. */
  readonly relative: string;
  /** Whether the path exists (for a symlink: whether its target exists). */
  readonly exists: boolean;
}

/** Resolves `userPath` (relative to the workspace, or absolute inside it); throws ToolRefusedError when it escapes. */
export async function resolveInWorkspace(workspace: string, userPath: string): Promise<WorkspacePath> {
  if (userPath.includes("\0")) throw new ToolRefusedError("path contains a NUL byte");
  if (userPath.trim() === "") throw new ToolInputError("path is empty");
  const root = await realpath(workspace);
  const nominal = resolve(workspace);
  const rel = lexicalRelative(nominal, userPath) ?? lexicalRelative(root, userPath);
  if (rel === undefined) throw new ToolRefusedError(`path ${JSON.stringify(userPath)} is outside the workspace`);
  refuseDaemonDir(rel, userPath);

  let existing = rel === "" ? root : join(root, rel);
  const missing: string[] = [];
  let real: string | undefined;
  while (real === undefined) {
    try {
      real = await realpath(existing);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      if (await isSymlink(existing)) {
        throw new ToolRefusedError(`path ${JSON.stringify(userPath)} goes through a dangling symbolic link`);
      }
      if (existing === root) throw error;
      missing.unshift(basename(existing));
      existing = dirname(existing);
    }
  }
  const full = missing.length === 0 ? real : join(real, ...missing);
  const realRel = within(root, full);
  if (realRel === undefined) {
    throw new ToolRefusedError(`path ${JSON.stringify(userPath)} resolves outside the workspace`);
  }
  refuseDaemonDir(realRel, userPath);
  return { real: full, relative: realRel.split(sep).join("/"), exists: missing.length === 0 };
}

/** The path of `child` relative to `parent`, or undefined when it is not inside it (segment-wise, never by string prefix). */
export function within(parent: string, child: string): string | undefined {
  const rel = relative(parent, child);
  if (rel === "") return "";
  if (isAbsolute(rel) || rel === ".." || rel.startsWith(`..${sep}`)) return undefined;
  return rel;
}

/** Whether a workspace-relative path is the daemon's directory or inside it. */
export function isDaemonPath(rel: string): boolean {
  const first = rel.split(/[\\/]/)[0];
  return first === DAEMON_DIR;
}

function lexicalRelative(base: string, userPath: string): string | undefined {
  return within(base, resolve(base, userPath));
}

function refuseDaemonDir(rel: string, userPath: string): void {
  if (isDaemonPath(rel)) {
    throw new ToolRefusedError(`path ${JSON.stringify(userPath)} is in the daemon's ${DAEMON_DIR}/ directory`);
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
