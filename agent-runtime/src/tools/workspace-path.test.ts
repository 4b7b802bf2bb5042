import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

import { ToolInputError, ToolRefusedError } from "../errors.js";
import { type TempWorkspace, tempWorkspace } from "./test-helpers.js";
import { resolveInWorkspace } from "./workspace-path.js";

describe("resolveInWorkspace", () => {
  let t: TempWorkspace;

  before(async () => {
    t = await tempWorkspace();
    await mkdir(join(t.ws, "src", "deep"), { recursive: true });
    await writeFile(join(t.ws, "src", "a.txt"), "a");
    await mkdir(join(t.ws, ".raworc"));
    await writeFile(join(t.ws, ".raworc", "state.json"), "{}");
    await writeFile(join(t.outside, "secret.txt"), "secret");
    await writeFile(join(t.evil, "x.txt"), "evil");
    await symlink(join(t.outside, "secret.txt"), join(t.ws, "file-out"));
    await symlink(t.outside, join(t.ws, "dir-out"));
    await symlink("../outside", join(t.ws, "rel-dir-out"));
    await symlink(join(t.ws, "src", "a.txt"), join(t.ws, "file-in"));
    await symlink("src", join(t.ws, "dir-in"));
    await symlink(".raworc", join(t.ws, "daemon-link"));
    await symlink(join(t.outside, "missing.txt"), join(t.ws, "dangling-out"));
  });

  after(() => t.dispose());

  const refused: [string, (t: TempWorkspace) => string][] = [
    ["../ escape", () => "../outside/secret.txt"],
    ["../ chain", () => "src/deep/../../../outside/secret.txt"],
    ["../ to the parent", () => ".."],
    ["../ through a sibling", () => "src/../../ws-evil/x.txt"],
    ["./ then ../", () => "./../outside"],
    ["absolute outside", () => "/etc/passwd"],
    ["absolute root", () => "/"],
    ["prefix confusion (ws-evil)", (t) => join(t.evil, "x.txt")],
    ["prefix confusion (ws2)", (t) => `${t.ws}2/file`],
    ["prefix confusion (ws_backup)", (t) => `${t.ws}_backup`],
    ["prefix confusion (ws.bak)", (t) => `${t.ws}.bak/x`],
    ["symlink to a file outside", () => "file-out"],
    ["symlink to a directory outside", () => "dir-out/secret.txt"],
    ["relative symlink to a directory outside", () => "rel-dir-out/secret.txt"],
    ["new file under a symlinked directory outside", () => "dir-out/new/file.txt"],
    ["dangling symlink pointing outside", () => "dangling-out"],
    ["NUL in the middle", () => "src/a.txt\0.png"],
    ["NUL at the end", () => "src/\0"],
    ["NUL in an absolute path", (t) => `${t.ws}\0/etc/passwd`],
    [".raworc/", () => ".raworc/state.json"],
    [".raworc itself", () => ".raworc"],
    [".raworc via ./", () => "./src/../.raworc/state.json"],
    [".raworc via absolute path", (t) => join(t.ws, ".raworc")],
    [".raworc via a symlink inside", () => "daemon-link/state.json"],
  ];
  for (const [name, path] of refused) {
    it(`refuses ${name}`, async () => {
      await assert.rejects(resolveInWorkspace(t.ws, path(t)), ToolRefusedError);
    });
  }

  const allowed: [string, (t: TempWorkspace) => string, string][] = [
    ["a plain relative path", () => "src/a.txt", "src/a.txt"],
    ["the root", () => ".", ""],
    ["a trailing separator", () => "src/", "src"],
    ["an absolute path inside", (t) => join(t.ws, "src", "a.txt"), "src/a.txt"],
    ["the workspace with a trailing separator", (t) => `${t.ws}/`, ""],
    ["../ that stays inside", () => "src/deep/../a.txt", "src/a.txt"],
    ["names with dots that are not traversal", () => "..test", "..test"],
    ["a trailing-dots name", () => "src/test..", "src/test.."],
    ["percent signs, not decoded", () => "%2e%2e/x", "%2e%2e/x"],
    ["spaces and unicode", () => "my dir/café.txt", "my dir/café.txt"],
    ["a symlink to a file inside (resolved)", () => "file-in", "src/a.txt"],
    ["a symlink to a directory inside (resolved)", () => "dir-in/a.txt", "src/a.txt"],
    ["a new file in new directories", () => "new/dir/file.txt", "new/dir/file.txt"],
    ["a name that merely starts with .raworc", () => ".raworc-notes", ".raworc-notes"],
  ];
  for (const [name, path, rel] of allowed) {
    it(`allows ${name}`, async () => {
      const resolved = await resolveInWorkspace(t.ws, path(t));
      assert.equal(resolved.relative, rel);
      assert.equal(resolved.real, rel === "" ? t.ws : join(t.ws, rel));
    });
  }

  it("reports whether the path exists", async () => {
    assert.equal((await resolveInWorkspace(t.ws, "src/a.txt")).exists, true);
    assert.equal((await resolveInWorkspace(t.ws, "src/b.txt")).exists, false);
  });

  it("refuses an empty path as bad input", async () => {
    await assert.rejects(resolveInWorkspace(t.ws, ""), ToolInputError);
  });

  it("confines to the real workspace when the workspace is reached through a symlink", async () => {
    const alias = join(t.base, "ws-alias");
    await symlink(t.ws, alias);
    assert.equal((await resolveInWorkspace(alias, "src/a.txt")).real, join(t.ws, "src", "a.txt"));
    assert.equal((await resolveInWorkspace(alias, join(alias, "src"))).relative, "src");
    await assert.rejects(resolveInWorkspace(alias, "../outside"), ToolRefusedError);
  });
});
