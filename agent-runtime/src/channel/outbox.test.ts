import assert from "node:assert/strict";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { LogLevel, SessionEventSchema, TextDeltaSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { silentLogger, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { entryFileName } from "./outbox-entry.js";
import { Outbox, type OutboxOptions } from "./outbox.js";
import type { OutboxPayload } from "./outbox-entry.js";

function delta(text: string): OutboxPayload {
  return { case: "event", value: create(SessionEventSchema, { turn: 1, payload: { case: "textDelta", value: create(TextDeltaSchema, { text }) } }) };
}

function textOf(outbox: Outbox, seq: bigint): string | undefined {
  const payload = outbox.get(seq)?.payload;
  if (payload?.case !== "event" || payload.value.payload.case !== "textDelta") return undefined;
  return payload.value.payload.value.text;
}

describe("outbox", () => {
  let volume: TempVolume;
  const open = (options: Partial<OutboxOptions> = {}): Promise<Outbox> => Outbox.open(volume.outbox, { floor: 0n, log: silentLogger(), ...options });

  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("persists each entry before returning its seq, and a reopened outbox holds them in order", async () => {
    const outbox = await open();
    assert.equal(await outbox.append(delta("a")), 1n);
    assert.equal(await outbox.append(delta("b")), 2n);
    assert.equal(await outbox.append(delta("c")), 3n);
    assert.deepEqual(await readdir(volume.outbox), [entryFileName(1n), entryFileName(2n), entryFileName(3n)]);

    const reopened = await open();
    assert.equal(reopened.lastSeq, 3n);
    assert.equal(reopened.size, 3);
    assert.deepEqual([1n, 2n, 3n].map((seq) => textOf(reopened, seq)), ["a", "b", "c"]);
    assert.equal(reopened.get(2n)?.seq, 2n);
  });

  it("stages an entry without waiting for its write, and offers it for sending only once a group commit made it durable", async () => {
    const outbox = await open();
    const seqs = [await outbox.stage(delta("a")), await outbox.stage(delta("b"))];
    assert.deepEqual(seqs, [1n, 2n]);
    // Staged is not durable: nothing is offered for sending yet.
    assert.equal(outbox.get(1n), undefined);
    assert.equal(outbox.size, 2);
    await outbox.flush();
    assert.equal(outbox.lastSeq, 2n);
    assert.deepEqual([textOf(outbox, 1n), textOf(outbox, 2n)], ["a", "b"]);
    const reopened = await open();
    assert.deepEqual([textOf(reopened, 1n), textOf(reopened, 2n)], ["a", "b"]);
  });

  it("an append after staged entries returns only once they and it are durable, in seq order", async () => {
    const outbox = await open();
    void outbox.stage(delta("a"));
    void outbox.stage(delta("b"));
    assert.equal(await outbox.append(delta("c")), 3n);
    assert.equal(outbox.lastSeq, 3n);
    assert.deepEqual([1n, 2n, 3n].map((seq) => textOf(outbox, seq)), ["a", "b", "c"]);
  });

  it("removes entries up to the ack, after recording the seqs, and never reuses a seq", async () => {
    const recorded: [bigint, bigint, string[]][] = [];
    const outbox = await open({
      persistSeqs: async (acked, last) => {
        recorded.push([acked, last, await readdir(volume.outbox)]);
      },
    });
    for (const text of ["a", "b", "c"]) await outbox.append(delta(text));
    await outbox.acknowledge(2n);
    assert.deepEqual(await readdir(volume.outbox), [entryFileName(3n)]);
    assert.equal(outbox.size, 1);
    assert.equal(outbox.firstSeq(), 3n);
    // The hook ran while the acknowledged files still existed: the state file learns the seqs first.
    assert.deepEqual(recorded, [[2n, 3n, [entryFileName(1n), entryFileName(2n), entryFileName(3n)]]]);

    await outbox.acknowledge(1n);
    assert.equal(outbox.size, 1, "a lower ack changes nothing");
    await outbox.acknowledge(3n);
    assert.equal(outbox.size, 0);

    // After everything is acknowledged the files are gone; the floor (from the state file) keeps numbering going.
    const reopened = await open({ floor: 3n });
    assert.equal(reopened.lastSeq, 3n);
    assert.equal(await reopened.append(delta("d")), 4n);
  });

  it("ignores and deletes a write a crash interrupted before it was named, and reuses its seq", async () => {
    const outbox = await open();
    await outbox.append(delta("a"));
    // A crash between creating the temporary file and renaming it leaves this behind.
    await writeFile(join(volume.outbox, `.tmp-${entryFileName(2n)}-deadbeef`), "partial");
    const reopened = await open();
    assert.equal(reopened.lastSeq, 1n);
    assert.deepEqual(await readdir(volume.outbox), [entryFileName(1n)]);
    assert.equal(await reopened.append(delta("b")), 2n);
    assert.equal(textOf(reopened, 2n), "b");
  });

  it("replaces an entry damaged on disk by a warning under the same seq, so the sequence has no gap", async () => {
    const outbox = await open();
    for (const text of ["a", "b", "c"]) await outbox.append(delta(text));
    const path = join(volume.outbox, entryFileName(2n));
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 3));

    const reopened = await open();
    assert.equal(reopened.size, 3);
    assert.equal(textOf(reopened, 1n), "a");
    assert.equal(textOf(reopened, 3n), "c");
    const standIn = reopened.get(2n)?.payload;
    assert.equal(standIn?.case, "event");
    assert.equal(standIn.value.payload.case, "log");
    assert.equal(standIn.value.payload.value.level, LogLevel.WARN);
    // The stand-in is itself durable: opening again finds an intact entry.
    assert.equal((await open()).get(2n)?.payload.case, "event");
  });

  it("assigns consecutive seqs in call order under concurrent appends, running `before` before each write", async () => {
    const outbox = await open();
    const seen: [bigint, boolean][] = [];
    const seqs = await Promise.all(
      ["a", "b", "c", "d", "e"].map((text) =>
        outbox.append(delta(text), async (seq) => {
          const exists = (await readdir(volume.outbox)).includes(entryFileName(seq));
          seen.push([seq, exists]);
        }),
      ),
    );
    assert.deepEqual(seqs, [1n, 2n, 3n, 4n, 5n]);
    assert.deepEqual(seen, [[1n, false], [2n, false], [3n, false], [4n, false], [5n, false]]);
    assert.deepEqual([1n, 2n, 3n, 4n, 5n].map((seq) => textOf(outbox, seq)), ["a", "b", "c", "d", "e"]);
  });

  it("skips seqs the control plane says it committed, and persists the jump", async () => {
    const persisted: bigint[] = [];
    const outbox = await open({ persistSeqs: (_acked, last) => {
        persisted.push(last);
        return Promise.resolve();
      }, });
    await outbox.append(delta("a"));
    await outbox.advanceTo(7n);
    assert.deepEqual(persisted, [7n]);
    assert.equal(await outbox.append(delta("b")), 8n);
  });

  it("wakes a waiter on append and on removal", async () => {
    const outbox = await open();
    const appended = outbox.changed();
    await outbox.append(delta("a"));
    await appended;
    const removed = outbox.changed();
    await outbox.acknowledge(1n);
    await removed;
    const aborted = new AbortController();
    const waiting = outbox.changed(aborted.signal);
    aborted.abort();
    await waiting;
  });
});
