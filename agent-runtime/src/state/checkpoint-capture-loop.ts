/**
 * Test helper run as a child process by the checkpoint store's crash test: it keeps changing
 * files in the workspace given as its argument and capturing checkpoints, printing each
 * checkpoint's id once it is recorded, until it is killed (the crash under test).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { CheckpointStore } from "./checkpoint-store.js";
import { volumeLayout } from "./layout.js";
import type { Manifest } from "./checkpoint-manifest.js";

const workspace = process.argv[2];
if (!workspace) throw new Error("usage: checkpoint-capture-loop <workspace>");
const store = await CheckpointStore.open(volumeLayout(workspace).checkpoints);
let previous: Manifest | undefined;
for (let turn = 1; ; turn++) {
  // Several changed files per turn, so a kill is likely to land between objects or before the manifest.
  for (let file = 0; file < 20; file++) await writeFile(join(workspace, `f${(turn * 7 + file) % 50}.bin`), randomBytes(32 * 1024));
  const captured = await store.capture(workspace, turn, previous);
  previous = captured.manifest;
  process.stdout.write(`${captured.id}\n`);
}
