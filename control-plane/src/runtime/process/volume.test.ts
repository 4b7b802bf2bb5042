/** The process runtime's volumes: empty ones, and copies of another session's (remix) on a real file system. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SLEEPER_ENTRY } from "@raworc/test-support/processes/sleeper-control.js";
import { sessionPaths } from "./layout.js";
import { ProcessRuntime } from "./process-runtime.js";

describe("process runtime: volumes", () => {
  let dataDir: string;
  let outside: string;
  let rt: ProcessRuntime;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "raworc-process-volume-"));
    outside = await mkdtemp(join(tmpdir(), "raworc-outside-"));
    await writeFile(join(outside, "secret.txt"), "not part of any volume");
    rt = new ProcessRuntime({ dataDir, daemonEntry: SLEEPER_ENTRY });
  });

  afterEach(async () => {
    await rt.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  const workspace = (id: string) => sessionPaths(dataDir, id).workspace;
  const mode = async (path: string) => (await lstat(path)).mode & 0o7777;

  /** Every path in the tree, without following symlinks. */
  async function tree(dir: string, prefix = ""): Promise<string[]> {
    const found: string[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      found.push(`${prefix}${entry.name}`);
      if (entry.isDirectory()) found.push(...(await tree(join(dir, entry.name), `${prefix}${entry.name}/`)));
    }
    return found.sort();
  }

  /** A source volume with nested files, modes, a timestamp, symlinks of every kind and a FIFO. */
  async function sourceVolume(): Promise<string> {
    const id = randomUUID();
    await rt.ensureVolume(id);
    const root = workspace(id);
    await mkdir(join(root, "a/b"), { recursive: true });
    await writeFile(join(root, "a/b/c.txt"), "hello");
    await utimes(join(root, "a/b/c.txt"), new Date("2020-01-02T03:04:05Z"), new Date("2020-01-02T03:04:05Z"));
    await writeFile(join(root, "run.sh"), "#!/bin/sh\n");
    await chmod(join(root, "run.sh"), 0o755);
    await writeFile(join(root, "readonly.txt"), "ro");
    await chmod(join(root, "readonly.txt"), 0o444);
    await mkdir(join(root, "private"));
    await writeFile(join(root, "private/key"), "k", { mode: 0o600 });
    await chmod(join(root, "private"), 0o750);
    await symlink("a/b/c.txt", join(root, "inside"));
    await symlink("a", join(root, "dirlink"));
    await symlink(outside, join(root, "outside"));
    await symlink("../../../..", join(root, "escape"));
    await symlink("nowhere", join(root, "dangling"));
    execFileSync("mkfifo", [join(root, "pipe")]);
    return id;
  }

  it("creates an empty volume that only its owner can enter", async () => {
    const id = randomUUID();
    await rt.ensureVolume(id);
    assert.deepEqual(await readdir(workspace(id)), []);
    assert.equal(await mode(workspace(id)), 0o700);
    assert.equal(await mode(sessionPaths(dataDir, id).dir), 0o700);
    assert.equal((await rt.observe(id)).volume, "present");
  });

  it("copies a volume with its files, nested directories, modes and times, and symlinks as symlinks", async () => {
    const source = await sourceVolume();
    const target = randomUUID();
    await rt.ensureVolume(target, { from: source });
    const copy = workspace(target);

    assert.deepEqual(await tree(copy), ["a", "a/b", "a/b/c.txt", "dangling", "dirlink", "escape", "inside", "outside", "private", "private/key", "readonly.txt", "run.sh"]);
    assert.equal(await readFile(join(copy, "a/b/c.txt"), "utf8"), "hello");
    assert.equal((await stat(join(copy, "a/b/c.txt"))).mtime.toISOString(), "2020-01-02T03:04:05.000Z");
    assert.equal(await mode(copy), 0o700);
    assert.equal(await mode(join(copy, "run.sh")), 0o755);
    assert.equal(await mode(join(copy, "readonly.txt")), 0o444);
    assert.equal(await mode(join(copy, "private")), 0o750);
    assert.equal(await mode(join(copy, "private/key")), 0o600);
    for (const link of ["inside", "dirlink", "outside", "escape", "dangling"]) {
      assert.ok((await lstat(join(copy, link))).isSymbolicLink(), `${link} is still a symlink`);
      assert.equal(await readlink(join(copy, link)), await readlink(join(workspace(source), link)), `${link} has its target text unchanged`);
    }
    // A relative link resolves inside the copy, not back into the source.
    assert.equal(await realpath(join(copy, "inside")), await realpath(join(copy, "a/b/c.txt")));
    assert.equal((await rt.observe(target)).volume, "present");
  });

  it("makes a copy that is independent of its source", async () => {
    const source = await sourceVolume();
    const target = randomUUID();
    await rt.ensureVolume(target, { from: source });

    await writeFile(join(workspace(target), "a/b/c.txt"), "changed in the copy");
    await writeFile(join(workspace(source), "run.sh"), "changed in the source");
    await writeFile(join(workspace(target), "new.txt"), "only in the copy");
    assert.equal(await readFile(join(workspace(source), "a/b/c.txt"), "utf8"), "hello");
    assert.equal(await readFile(join(workspace(target), "run.sh"), "utf8"), "#!/bin/sh\n");
    await assert.rejects(stat(join(workspace(source), "new.txt")), { code: "ENOENT" });
    await rt.destroy(source);
    assert.equal(await readFile(join(workspace(target), "a/b/c.txt"), "utf8"), "changed in the copy");
  });

  it("leaves an existing volume alone", async () => {
    const source = await sourceVolume();
    const target = randomUUID();
    await rt.ensureVolume(target, { from: source });
    await writeFile(join(workspace(source), "a/b/c.txt"), "written after the copy");
    await rt.ensureVolume(target, { from: source });
    await rt.ensureVolume(target);
    assert.equal(await readFile(join(workspace(target), "a/b/c.txt"), "utf8"), "hello");
  });

  it("copies all or nothing: a crashed copy's leftovers are removed, and a failed copy leaves no volume", async () => {
    const source = await sourceVolume();
    const target = randomUUID();
    const dir = sessionPaths(dataDir, target).dir;
    await mkdir(join(dir, ".workspace-0123456789ab.tmp/half"), { recursive: true });
    await rt.ensureVolume(target, { from: source });
    assert.deepEqual(await readdir(dir), ["workspace"]);

    const orphan = randomUUID();
    await assert.rejects(rt.ensureVolume(orphan, { from: randomUUID() }), /does not exist/);
    assert.equal((await rt.observe(orphan)).volume, "absent");
    await assert.rejects(rt.ensureVolume(orphan, { from: orphan }), /from itself/);
  });
});
