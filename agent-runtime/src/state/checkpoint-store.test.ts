import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { chmod, mkdir, readdir, readFile, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempVolume, type TempVolume } from "../testing/fixtures.js";
import { decodeManifest, sha256 } from "./checkpoint-manifest.js";
import { materialiseCheckpoint } from "./checkpoint-restore.js";
import { CheckpointStore } from "./checkpoint-store.js";
import { workspaceSnapshot as snapshot } from "@raworc/test-support/workspace-snapshot.js";

async function countObjects(volume: TempVolume): Promise<number> {
  const objects = join(volume.checkpoints, "objects");
  let count = 0;
  for (const fan of await readdir(objects)) if (!fan.startsWith(".")) count += (await readdir(join(objects, fan))).length;
  return count;
}

/** Checks every manifest in the store: it hashes to its name and every object it names exists with that content. */
async function verifyStore(volume: TempVolume): Promise<number> {
  const store = await CheckpointStore.open(volume.checkpoints);
  const names = await readdir(join(volume.checkpoints, "manifests"));
  for (const name of names) {
    const id = name.replace(/\.json$/, "");
    const manifest = await store.readManifest(id);
    for (const entry of manifest.entries) {
      if (entry.type !== "file") continue;
      assert.equal(sha256(await readFile(store.objectPath(entry.hash))), entry.hash, `object of ${entry.path} in ${id}`);
    }
  }
  return names.length;
}

describe("the checkpoint store", () => {
  let volume: TempVolume;
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("stores only the one file a turn changed among many, and reads only that file", async () => {
    for (let i = 0; i < 300; i++) await writeFile(join(volume.workspace, `file-${i}.txt`), `content of file ${i}\n`.repeat(20));
    const store = await CheckpointStore.open(volume.checkpoints);
    const first = await store.capture(volume.workspace, 1, undefined);
    assert.equal(first.fileCount, 300);
    assert.equal(first.filesRead, 300);
    assert.equal(first.storedBytes, first.totalBytes);
    assert.equal(await countObjects(volume), 300);

    await writeFile(join(volume.workspace, "file-17.txt"), "changed\n");
    const second = await store.capture(volume.workspace, 2, first.manifest);
    assert.equal(second.filesRead, 1, "unchanged files are not read again");
    assert.equal(second.storedBytes, "changed\n".length, "only the changed file's bytes are stored");
    assert.equal(await countObjects(volume), 301);
    const differing = second.manifest.entries.filter((entry, index) => JSON.stringify(entry) !== JSON.stringify(first.manifest.entries[index]));
    assert.deepEqual(differing.map((entry) => entry.path), ["file-17.txt"]);

    const third = await store.capture(volume.workspace, 3, second.manifest);
    assert.equal(third.filesRead, 0);
    assert.equal(third.storedBytes, 0);
  });

  it("stores identical contents once, and a file changed back to an old content costs nothing new", async () => {
    await writeFile(join(volume.workspace, "a.txt"), "same\n");
    await writeFile(join(volume.workspace, "b.txt"), "same\n");
    const store = await CheckpointStore.open(volume.checkpoints);
    const first = await store.capture(volume.workspace, 1, undefined);
    assert.equal(first.storedBytes, 5);
    assert.equal(await countObjects(volume), 1);
    await writeFile(join(volume.workspace, "a.txt"), "other\n");
    const second = await store.capture(volume.workspace, 2, first.manifest);
    await writeFile(join(volume.workspace, "a.txt"), "same\n");
    const third = await store.capture(volume.workspace, 3, second.manifest);
    assert.equal(third.filesRead, 1);
    assert.equal(third.storedBytes, 0, "the content is already stored");
  });

  it("keeps symbolic links as links (never followed), empty directories and modes, and leaves .raworc/ out", async () => {
    await mkdir(join(volume.workspace, "empty"));
    await chmod(join(volume.workspace, "empty"), 0o755);
    await mkdir(join(volume.workspace, "private"), { mode: 0o700 });
    await chmod(join(volume.workspace, "private"), 0o750);
    await writeFile(join(volume.workspace, "private/run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
    await symlink("private/run.sh", join(volume.workspace, "relative-link"));
    await symlink("/etc/passwd", join(volume.workspace, "outside-link"));
    await symlink("missing", join(volume.workspace, "dangling-link"));
    await writeFile(join(volume.root, "secret-state"), "daemon only");
    const store = await CheckpointStore.open(volume.checkpoints);
    const captured = await store.capture(volume.workspace, 1, undefined);
    assert.deepEqual(
      captured.manifest.entries.map((entry) => [entry.path, entry.type, entry.type === "link" ? entry.target : entry.mode.toString(8)]),
      [
        ["dangling-link", "link", "missing"],
        ["empty", "dir", "755"],
        ["outside-link", "link", "/etc/passwd"],
        ["private", "dir", "750"],
        ["private/run.sh", "file", "755"],
        ["relative-link", "link", "private/run.sh"],
      ],
    );
    assert.equal(captured.fileCount, 1, "links are not files and /etc/passwd was not read");
  });

  it("restores a past checkpoint exactly: new paths removed, changed and deleted files back, links and empty directories back", async () => {
    const w = (path: string) => join(volume.workspace, path);
    await mkdir(w("src/empty"), { recursive: true });
    await writeFile(w("src/main.ts"), "v1\n");
    await writeFile(w("keep.txt"), "kept\n");
    await writeFile(w("deleted-later.txt"), "I will be deleted\n");
    await symlink("src/main.ts", w("link"));
    const store = await CheckpointStore.open(volume.checkpoints);
    const one = await store.capture(volume.workspace, 1, undefined);
    const before = await snapshot(volume.workspace);

    await writeFile(w("src/main.ts"), "v2, longer\n");
    await rm(w("deleted-later.txt"));
    await rm(w("src/empty"), { recursive: true });
    await mkdir(w("new-dir/deep"), { recursive: true });
    await writeFile(w("new-dir/deep/new.txt"), "new\n");
    await rm(w("link"));
    await mkdir(w("link"));
    await writeFile(w("link/inside.txt"), "a directory where a link was\n");
    await chmod(w("keep.txt"), 0o600);
    const two = await store.capture(volume.workspace, 2, one.manifest);
    const after = await snapshot(volume.workspace);
    assert.notDeepEqual(after, before);

    const report = await materialiseCheckpoint(store, one.manifest, volume.workspace);
    assert.deepEqual(await snapshot(volume.workspace), before);
    assert.ok(report.removed >= 2 && report.written >= 3, JSON.stringify(report));
    assert.deepEqual((await readdir(volume.root)).sort(), ["checkpoints", "outbox"], ".raworc/ is untouched");

    // Forward again, then again: the second run finds nothing to do.
    await materialiseCheckpoint(store, two.manifest, volume.workspace);
    assert.deepEqual(await snapshot(volume.workspace), after);
    const again = await materialiseCheckpoint(store, two.manifest, volume.workspace);
    assert.deepEqual({ removed: again.removed, written: again.written }, { removed: 0, written: 0 });
  });

  it("refuses a damaged manifest and restores nothing when the store lacks an object", async () => {
    await writeFile(join(volume.workspace, "a.txt"), "a\n");
    const store = await CheckpointStore.open(volume.checkpoints);
    const captured = await store.capture(volume.workspace, 1, undefined);
    const manifestFile = join(volume.checkpoints, "manifests", `${captured.id}.json`);
    const bytes = await readFile(manifestFile);
    assert.equal(decodeManifest(bytes, captured.id)?.turn, 1);
    await truncate(manifestFile, bytes.length - 3);
    await assert.rejects(store.readManifest(captured.id), /checkpoint .* is damaged/);
    await assert.rejects(store.readManifest("../../etc/passwd"), /is not a checkpoint id/);

    const entry = captured.manifest.entries[0];
    assert.ok(entry?.type === "file");
    await rm(store.objectPath(entry.hash));
    await writeFile(join(volume.workspace, "a.txt"), "changed\n");
    await assert.rejects(materialiseCheckpoint(store, captured.manifest, volume.workspace), /lacks the content of a.txt/);
    assert.equal(await readFile(join(volume.workspace, "a.txt"), "utf8"), "changed\n", "nothing was touched");
  });

  it("survives being killed mid-checkpoint: every manifest left names only whole objects, and leftovers are cleared", async function () {
    this.timeout(60_000);
    const helper = fileURLToPath(new URL("./checkpoint-capture-loop.ts", import.meta.url));
    const child = spawn(process.execPath, ["--import", "tsx", helper, volume.workspace], { stdio: ["ignore", "pipe", "inherit"] });
    let lines = 0;
    await new Promise<void>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (code) => reject(new Error(`the capture loop exited by itself (${code})`)));
      child.stdout.on("data", (chunk: Buffer) => {
        lines += chunk.toString().split("\n").length - 1;
        // Killed while (most likely) in the middle of its next checkpoint.
        if (lines >= 3) {
          child.removeAllListeners("exit");
          child.on("exit", () => resolve());
          child.kill("SIGKILL");
        }
      });
    });
    const manifests = await verifyStore(volume);
    assert.ok(manifests >= 3, `the checkpoints recorded before the kill are there (${manifests})`);
    const leftovers = (await readdir(join(volume.checkpoints, "objects"))).filter((name) => name.startsWith(".tmp-"));
    assert.deepEqual(leftovers, [], "opening the store clears interrupted writes");
    const store = await CheckpointStore.open(volume.checkpoints);
    const next = await store.capture(volume.workspace, 99, undefined);
    const files = (await readdir(volume.workspace)).filter((name) => name.endsWith(".bin"));
    assert.equal(next.fileCount, files.length);
  });
});
