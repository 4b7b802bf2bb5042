import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { create } from "@bufbuild/protobuf";
import { SessionEventSchema, TextDeltaSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { Outbox } from "../channel/outbox.js";
import { VolumeFullError } from "../errors.js";
import { tmpfsUnavailable } from "@raworc/test-support/tmpfs.js";
import { silentLogger } from "../testing/fixtures.js";
import { ConversationLog, type ConversationEntry } from "./conversation-log.js";
import { volumeLayout, ensureVolumeLayout, type VolumeLayout } from "./layout.js";
import { formatBytes, isVolumeFull, reserveBytes, VolumeReserve } from "./volume-reserve.js";

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Writes zeros to `file` until the volume refuses (ENOSPC). */
async function fill(file: string): Promise<void> {
  const handle = await open(file, "a");
  try {
    for (;;) await handle.write(Buffer.alloc(64 * 1024));
  } catch (error) {
    assert.ok(isVolumeFull(error), `filling stops at ENOSPC, not ${String(error)}`);
  } finally {
    await handle.close();
  }
}

const userEntry = (turn: number, text: string): ConversationEntry => ({ kind: "user", turn, messageId: `m${turn}`, text, targetAgent: "", at: "2026-11-24T12:00:00Z" });

describe("volume reserve (pure parts)", () => {
  it("sizes the reserve at 1 MiB, or an eighth of a small volume, in whole pages", () => {
    assert.deepEqual([2 * MiB, 64 * MiB, 10 * 1024 * MiB, 16 * 1024].map(reserveBytes), [256 * 1024, MiB, MiB, 4096]);
  });

  it("knows a full volume by ENOSPC or EDQUOT, also as a cause, and by VolumeFullError", () => {
    const enospc = Object.assign(new Error("no space"), { code: "ENOSPC" });
    assert.ok(isVolumeFull(enospc));
    assert.ok(isVolumeFull(Object.assign(new Error("quota"), { code: "EDQUOT" })));
    assert.ok(isVolumeFull(new Error("wrapped", { cause: enospc })));
    assert.ok(isVolumeFull(new VolumeFullError("full")));
    assert.ok(!isVolumeFull(Object.assign(new Error("gone"), { code: "ENOENT" })));
    assert.ok(!isVolumeFull("ENOSPC"));
  });

  it("formats sizes for people", () => {
    assert.deepEqual([0, 512, 2048, 2 * MiB, 1536 * MiB].map(formatBytes), ["0 B", "512 B", "2.0 KiB", "2.0 MiB", "1.5 GiB"]);
  });
});

const noTmpfs = tmpfsUnavailable();

describe(`volume reserve on a full volume (2 MiB tmpfs)${noTmpfs ? ` (skipped: ${noTmpfs})` : ""}`, function () {
  let mountPoint: string | undefined;
  let layout: VolumeLayout;
  let released: VolumeFullError[];
  const reserveOf = () => new VolumeReserve({ file: layout.reserveFile, workspace: layout.workspace, log: silentLogger(), onReleased: (error) => released.push(error) });

  beforeEach(async function () {
    if (noTmpfs) this.skip();
    const dir = await mkdtemp(join(tmpdir(), "raworc-reserve-"));
    await run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir]);
    mountPoint = dir;
    layout = volumeLayout(dir);
    await ensureVolumeLayout(layout);
    released = [];
  });

  afterEach(async () => {
    if (!mountPoint) return;
    await run("umount", ["-l", mountPoint]).catch(() => undefined);
    await rm(mountPoint, { recursive: true, force: true });
    mountPoint = undefined;
  });

  it("keeps a reserve sized to the volume, and none when the volume has no room for it", async () => {
    const reserve = reserveOf();
    assert.equal(await reserve.ensure(), true);
    assert.equal((await stat(layout.reserveFile)).size, 256 * 1024);
    assert.equal(await reserveOf().ensure(), true, "an existing reserve is adopted after a restart");

    await rm(layout.reserveFile);
    await fill(join(layout.workspace, "big"));
    assert.equal(await reserveOf().ensure(), false);
    await assert.rejects(stat(layout.reserveFile), /ENOENT/);
  });

  it("spends the reserve to write an outbox entry the full volume refused, and says once which volume is full and how full", async () => {
    const reserve = reserveOf();
    assert.ok(await reserve.ensure());
    await fill(join(layout.workspace, "big"));
    const outbox = await Outbox.open(layout.outbox, { floor: 0n, log: silentLogger(), guard: reserve.guard });
    const event = create(SessionEventSchema, { turn: 1, payload: { case: "textDelta", value: create(TextDeltaSchema, { text: "recorded anyway" }) } });
    assert.equal(await outbox.append({ case: "event", value: event }), 1n);
    assert.equal(reserve.isHeld, false);
    await assert.rejects(stat(layout.reserveFile), /ENOENT/);
    assert.equal(released.length, 1);
    assert.ok(released[0]!.message.includes(layout.workspace), released[0]!.message);
    assert.match(released[0]!.message, /is full: [\d.]+ MiB of 2\.0 MiB used, [\d.]+ K?i?B free; free space/);
    const reopened = await Outbox.open(layout.outbox, { floor: 0n, log: silentLogger() });
    assert.equal(reopened.size, 1, "the entry is durable");
  });

  it("without a reserve, a write the full volume refuses rejects as volume-full (the daemon then exits with its volume-full code)", async () => {
    const reserve = reserveOf();
    await fill(join(layout.workspace, "big"));
    assert.equal(await reserve.ensure(), false);
    const outbox = await Outbox.open(layout.outbox, { floor: 0n, log: silentLogger(), guard: reserve.guard });
    const event = create(SessionEventSchema, { turn: 1, payload: { case: "textDelta", value: create(TextDeltaSchema, { text: "x" }) } });
    await assert.rejects(outbox.append({ case: "event", value: event }), (error: unknown) => isVolumeFull(error));
    assert.equal(released.length, 0);
  });

  it("a conversation append cut short by a full volume leaves no torn line behind", async () => {
    const log = await ConversationLog.open(layout.conversationFile);
    await log.append(userEntry(1, "first"));
    await fill(join(layout.workspace, "big"));
    // Bigger than what is left of the log's last page: part of it would land, then ENOSPC.
    await assert.rejects(log.append(userEntry(2, "y".repeat(64 * 1024))), (error: unknown) => isVolumeFull(error));
    await rm(join(layout.workspace, "big"));
    await log.append(userEntry(3, "after space was freed"));
    const reopened = await ConversationLog.open(layout.conversationFile);
    assert.deepEqual(
      reopened.entries.map((entry) => entry.turn),
      [1, 3],
    );
  });
});
