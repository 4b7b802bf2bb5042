import assert from "node:assert/strict";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { StateError } from "../errors.js";
import { tempVolume, type TempVolume } from "../testing/fixtures.js";
import { DaemonStateStore, readDaemonState, type DaemonState } from "./daemon-state.js";

const initial: DaemonState = {
  sessionId: "9b2f0c1e-0000-4000-8000-000000000001",
  lastDaemonSeq: 0n,
  lastAckedDaemonSeq: 0n,
  lastAppliedControlSeq: 0n,
  instance: { id: "instance-1", pid: 42, startedAt: "2026-01-01T00:00:00.000Z", daemonVersion: "0.1.0" },
  restoredFrom: undefined,
};

describe("daemon state file", () => {
  let volume: TempVolume;
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("is absent on a fresh volume", async () => {
    assert.equal(await readDaemonState(volume.stateFile), undefined);
  });

  it("round-trips every field, including seqs beyond 2^53", async () => {
    const store = new DaemonStateStore(volume.stateFile, initial);
    const big = 2n ** 63n + 5n;
    await store.update({ lastDaemonSeq: big, lastAckedDaemonSeq: big - 1n, lastAppliedControlSeq: 7n, restoredFrom: { parentSessionId: "p", turn: 3, checkpointId: "c" } });
    assert.deepEqual(await readDaemonState(volume.stateFile), { ...initial, lastDaemonSeq: big, lastAckedDaemonSeq: big - 1n, lastAppliedControlSeq: 7n, restoredFrom: { parentSessionId: "p", turn: 3, checkpointId: "c" } });
  });

  it("resolves each update only once it is on disk, coalescing bursts, and a reader never sees a torn file", async () => {
    const store = new DaemonStateStore(volume.stateFile, initial);
    await store.update({});
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        const state = await readDaemonState(volume.stateFile); // throws StateError on a torn file
        assert.ok(state);
        reads++;
      }
    })();
    const updates: Promise<void>[] = [];
    for (let seq = 1n; seq <= 200n; seq++) {
      const pending = store.update({ lastAppliedControlSeq: seq });
      updates.push(pending.then(async () => assert.ok((await readDaemonState(volume.stateFile))!.lastAppliedControlSeq >= seq)));
    }
    await Promise.all(updates);
    reading = false;
    await reader;
    assert.ok(reads > 0);
    assert.equal((await readDaemonState(volume.stateFile))?.lastAppliedControlSeq, 200n);
    assert.deepEqual((await readdir(volume.root)).filter((name) => name.startsWith(".tmp-")), [], "no temporary file is left behind");
  });

  it("reads the last complete state after a crash in the middle of a write", async () => {
    const store = new DaemonStateStore(volume.stateFile, initial);
    await store.update({ lastDaemonSeq: 3n });
    // A crash after the temporary file was partly written but before the rename leaves this behind.
    await writeFile(join(volume.root, ".tmp-state.json-0badc0de"), '{"version":1,"sessionId":"9b2f');
    assert.equal((await readDaemonState(volume.stateFile))?.lastDaemonSeq, 3n);
  });

  it("rejects the caller of an update that could not be written", async () => {
    const store = new DaemonStateStore(join(volume.root, "missing-dir", "state.json"), initial);
    await assert.rejects(store.update({ lastDaemonSeq: 1n }), { code: "ENOENT" });
  });

  it("refuses a file it cannot trust rather than starting from zero", async () => {
    await writeFile(volume.stateFile, "{ not json");
    await assert.rejects(readDaemonState(volume.stateFile), StateError);
    await writeFile(volume.stateFile, JSON.stringify({ version: 1, sessionId: "x", lastDaemonSeq: -1 }));
    await assert.rejects(readDaemonState(volume.stateFile), StateError);
  });
});
