import assert from "node:assert/strict";
import { ProtocolError } from "../errors.js";
import { DaemonStateStore, readDaemonState } from "../state/daemon-state.js";
import { tempVolume, type TempVolume } from "../testing/fixtures.js";
import { WorkLedger } from "./work-ledger.js";

/** Runs `action` and resolves with no application (no in-memory effect). */
function settle(action: () => unknown): Promise<void> {
  action();
  return Promise.resolve();
}

describe("work ledger (exactly-once work items)", () => {
  let volume: TempVolume;
  let store: DaemonStateStore;
  beforeEach(async () => {
    volume = await tempVolume();
    store = new DaemonStateStore(volume.stateFile, {
      sessionId: "s",
      lastDaemonSeq: 0n,
      lastAckedDaemonSeq: 0n,
      lastAppliedControlSeq: 0n,
      instance: { id: "i", pid: 1, startedAt: "", daemonVersion: "" },
      restoredFrom: undefined,
    });
  });
  afterEach(() => volume.remove());

  const ledgerFrom = async (): Promise<WorkLedger> =>
    new WorkLedger({
      lastApplied: (await readDaemonState(volume.stateFile))?.lastAppliedControlSeq ?? 0n,
      record: (seq) => store.update({ lastAppliedControlSeq: seq }),
    });

  it("applies items in order once; a resend is acknowledged again but not applied again", async () => {
    const ledger = await ledgerFrom();
    const applied: string[] = [];
    const apply = (name: string) => () => settle(() => applied.push(name));
    assert.equal(await ledger.receive(1n, apply("one")), "applied");
    assert.equal(await ledger.receive(2n, apply("two")), "applied");
    assert.equal(await ledger.receive(1n, apply("one again")), "duplicate");
    assert.equal(await ledger.receive(2n, apply("two again")), "duplicate");
    assert.deepEqual(applied, ["one", "two"]);
    assert.equal(ledger.lastApplied, 2n);
  });

  it("records the seq durably before it is acknowledged, so a restarted daemon does not apply a resend", async () => {
    const first = await ledgerFrom();
    await first.receive(1n, () => settle(() => undefined));
    await first.receive(2n, () => settle(() => undefined));
    // The control plane never saw the ack and resends both after the restart.
    const restarted = await ledgerFrom();
    assert.equal(restarted.lastApplied, 2n);
    let applied = 0;
    assert.equal(await restarted.receive(2n, () => settle(() => applied++)), "duplicate");
    assert.equal(await restarted.receive(3n, () => settle(() => applied++)), "applied");
    assert.equal(applied, 1);
  });

  it("refuses a seq that skips ahead, and a missing seq, without applying them", async () => {
    const ledger = await ledgerFrom();
    let applied = 0;
    await assert.rejects(ledger.receive(2n, () => settle(() => applied++)), ProtocolError);
    await assert.rejects(ledger.receive(0n, () => settle(() => applied++)), ProtocolError);
    assert.equal(applied, 0);
    assert.equal(ledger.lastApplied, 0n);
  });

  it("does not record an item whose application failed, so its resend is applied", async () => {
    const ledger = await ledgerFrom();
    await assert.rejects(ledger.receive(1n, () => Promise.reject(new Error("disk full"))));
    assert.equal(ledger.lastApplied, 0n);
    assert.equal((await readDaemonState(volume.stateFile))?.lastAppliedControlSeq, undefined);
    assert.equal(await ledger.receive(1n, () => settle(() => undefined)), "applied");
  });

  it("runs an in-memory effect (a cancel) only after the seq is on disk", async () => {
    let onDisk = false;
    const ledger = new WorkLedger({
      lastApplied: 0n,
      record: async (seq) => {
        await store.update({ lastAppliedControlSeq: seq });
        onDisk = true;
      },
    });
    let onDiskWhenEffectRan: boolean | undefined;
    await ledger.receive(1n, () => Promise.resolve({ effect: () => (onDiskWhenEffectRan = onDisk) }));
    assert.equal(onDiskWhenEffectRan, true);
  });

  it("serialises concurrent deliveries in seq order", async () => {
    const ledger = await ledgerFrom();
    const order: bigint[] = [];
    const outcomes = await Promise.all([1n, 2n, 3n].map((seq) => ledger.receive(seq, () => settle(() => order.push(seq)))));
    assert.deepEqual(outcomes, ["applied", "applied", "applied"]);
    assert.deepEqual(order, [1n, 2n, 3n]);
  });
});
