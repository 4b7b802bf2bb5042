/**
 * Hostile input to the file tools: a fast-check property over the daemon's path confinement
 * (agent-runtime/src/tools/workspace-path.ts). Paths are built from segments that matter for
 * escapes — "..", ".", absolute prefixes, the workspace's own path and a look-alike of it,
 * symbolic links out of and within the workspace, dangling links, the daemon's `.raworc/`, NUL
 * and unicode — and every one is either refused with a tool error or resolves to a path whose
 * real location is inside the workspace and outside `.raworc/`.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import fc from "fast-check";
// The property targets the confinement module itself (no RPC reaches it more directly).
// eslint-disable-next-line no-restricted-imports
import { resolveInWorkspace } from "../../../agent-runtime/src/tools/workspace-path.js";
// eslint-disable-next-line no-restricted-imports
import { ToolInputError, ToolRefusedError } from "../../../agent-runtime/src/errors.js";
import { fcParameters } from "./fc-seed.js";

/** Whether `child` is `parent` or inside it, segment-wise. */
function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!isAbsolute(rel) && rel !== ".." && !rel.startsWith(`..${sep}`));
}

/** The real path of `path`'s deepest existing ancestor (itself when it exists). */
async function realAncestor(path: string): Promise<string> {
  for (let at = path; ; at = dirname(at)) {
    try {
      return await realpath(at);
    } catch {
      if (dirname(at) === at) throw new Error(`nothing of ${path} exists`);
    }
  }
}

describe("hostile input: path escapes on the file tools (fast-check over workspace-path)", function () {
  this.timeout(120_000);
  let root: string;
  let workspace: string;
  let outside: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "raworc-path-fuzz-"));
    workspace = join(root, "ws");
    outside = join(root, "outside");
    await mkdir(join(workspace, "dir", "sub"), { recursive: true });
    await mkdir(join(workspace, ".raworc"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await mkdir(join(root, "ws-evil"), { recursive: true });
    await writeFile(join(workspace, "file.txt"), "in");
    await writeFile(join(outside, "secret.txt"), "out");
    await symlink(outside, join(workspace, "link-out"));
    await symlink(join(workspace, "dir"), join(workspace, "dir", "link-in"));
    await symlink("../..", join(workspace, "dir", "link-up"));
    await symlink(join(workspace, ".raworc"), join(workspace, "link-daemon"));
    await symlink(join(root, "missing"), join(workspace, "dangling"));
    await symlink("/etc", join(workspace, "dir", "sub", "etc"));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("resolves every generated path inside the workspace (after realpath) or refuses it", async () => {
    const segment = fc.oneof(
      fc.constantFrom("..", ".", "", "dir", "sub", "file.txt", "link-out", "link-in", "link-up", "link-daemon", "dangling", "etc", ".raworc", "secret.txt", "passwd", "ws", "ws-evil", "outside", "\0", "..\0", "…", "\u202e", "%2e%2e"),
      fc.string({ maxLength: 6 }),
    );
    const prefix = fc.constantFrom("", "/", "./", "../", "//", () => `${workspace}/`, () => `${root}/ws-evil/`, () => `${root}/`, "/etc/", "~/");
    const userPath = fc
      .tuple(prefix, fc.array(segment, { minLength: 0, maxLength: 8 }), fc.constantFrom("", "/", "/."))
      .map(([head, parts, tail]) => `${typeof head === "function" ? head() : head}${parts.join("/")}${tail}`);

    let resolved = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(userPath, async (path) => {
        let result;
        try {
          result = await resolveInWorkspace(workspace, path);
        } catch (error) {
          const known = error instanceof ToolRefusedError || error instanceof ToolInputError;
          assert.ok(known, `${JSON.stringify(path)} failed with ${String(error)} instead of a tool refusal`);
          refused++;
          return;
        }
        resolved++;
        const realRoot = await realpath(workspace);
        assert.ok(inside(realRoot, result.real), `${JSON.stringify(path)} resolved to ${result.real}, outside ${realRoot}`);
        const real = await realAncestor(result.real);
        assert.ok(inside(realRoot, real), `${JSON.stringify(path)}: the existing part ${real} is outside ${realRoot}`);
        assert.ok(!inside(join(realRoot, ".raworc"), real) && !inside(join(realRoot, ".raworc"), result.real), `${JSON.stringify(path)} reaches .raworc/`);
      }),
      fcParameters(3000),
    );
    assert.ok(resolved > 100 && refused > 100, `both outcomes were exercised (resolved ${resolved}, refused ${refused})`);
  });
});
