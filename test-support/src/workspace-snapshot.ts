/** A workspace's contents as comparable text, for tests that check files were restored exactly. */
import { createHash } from "node:crypto";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";

/** Every path of the workspace (`.raworc/` aside) → what it is: a file's sha256 and mode, a link's target, a directory's mode. */
export async function workspaceSnapshot(root: string, relative = ""): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(join(root, relative))).sort()) {
    if (relative === "" && name === ".raworc") continue;
    const path = relative ? `${relative}/${name}` : name;
    const absolute = join(root, path);
    const s = await lstat(absolute);
    if (s.isSymbolicLink()) out[path] = `link → ${await readlink(absolute)}`;
    else if (s.isDirectory()) {
      out[path] = `dir ${(s.mode & 0o7777).toString(8)}`;
      Object.assign(out, await workspaceSnapshot(root, path));
    } else out[path] = `file ${createHash("sha256").update(await readFile(absolute)).digest("hex")} ${(s.mode & 0o7777).toString(8)}`;
  }
  return out;
}
