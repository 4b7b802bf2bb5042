import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { bootstrapRbac } from "../rbac/bootstrap.js";
import { openOrm, type Orm } from "../store/orm.js";
import { appendDaemonEvents, readEvents, transitionLocked } from "./event-log.js";
import { SessionStore } from "./session-store.js";

const text = (turn: number, chunk: string): SessionEvent =>
  create(SessionEventSchema, { turn, payload: { case: "textDelta", value: { text: chunk } as never } });

describe("session event log (real PostgreSQL)", () => {
  let db: TestDatabase;
  let orm: Orm;
  let store: SessionStore;
  before(async () => {
    db = await createTestDatabase();
    orm = await openOrm({ url: db.url });
    await bootstrapRbac(orm, "admin");
    store = new SessionStore(orm);
  });
  after(async () => {
    await orm?.close(true);
    await db?.drop();
  });

  const newSession = (name: string) =>
    store.create({ namespace: "default", name, spec: {}, labels: {}, annotations: {}, creator: {}, runtime: "process" });

  it("numbers events 1, 2, 3… without gaps under concurrent writers", async () => {
    const s = await newSession("concurrent");
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 10; i++) {
          await store.withLocked(s.id, async (em, row) => {
            const next = BigInt(row.lastDaemonSeq) + 1n;
            await appendDaemonEvents(em, row, [{ daemonSeq: next, event: text(1, `w${w}-${i}`) }]);
          });
        }
      })(),
    );
    await Promise.all(writers);
    const events = await readEvents(orm.em.fork(), s.id, 0n, 1000);
    assert.deepEqual(events.map((e) => e.seq), Array.from({ length: 80 }, (_, i) => BigInt(i + 1)));
    assert.equal(new Set(events.map((e) => (e.payload.value as { text: string }).text)).size, 80, "each stored once");
  });

  it("stores a resent daemon event once and refuses a skipped seq", async () => {
    const s = await newSession("resend");
    await store.withLocked(s.id, (em, row) => appendDaemonEvents(em, row, [{ daemonSeq: 1n, event: text(1, "a") }, { daemonSeq: 2n, event: text(1, "b") }]));
    const acked = await store.withLocked(s.id, (em, row) =>
      appendDaemonEvents(em, row, [{ daemonSeq: 1n, event: text(1, "a") }, { daemonSeq: 2n, event: text(1, "b") }, { daemonSeq: 3n, event: text(1, "c") }]),
    );
    assert.equal(acked, 3n);
    const events = await readEvents(orm.em.fork(), s.id, 0n, 100);
    assert.deepEqual(events.map((e) => (e.payload.value as { text: string }).text), ["a", "b", "c"]);
    await assert.rejects(
      store.withLocked(s.id, (em, row) => appendDaemonEvents(em, row, [{ daemonSeq: 5n, event: text(1, "e") }])),
      (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument,
    );
    assert.equal((await readEvents(orm.em.fork(), s.id, 0n, 100)).length, 3, "nothing of the refused batch is stored");
  });

  it("moves READY ⇄ BUSY with turns, recording each transition as an event", async () => {
    const s = await newSession("turns");
    await store.withLocked(s.id, async (em, row) => {
      await transitionLocked(em, row, "starting", "Scheduled");
      await transitionLocked(em, row, "ready", "DaemonReady");
    });
    const started = create(SessionEventSchema, { turn: 1, payload: { case: "turnStarted", value: {} as never } });
    const done = create(SessionEventSchema, { turn: 1, payload: { case: "turnCompleted", value: {} as never } });
    await store.withLocked(s.id, (em, row) => appendDaemonEvents(em, row, [{ daemonSeq: 1n, event: started }]));
    assert.equal((await store.findById(s.id))?.state, "busy");
    await store.withLocked(s.id, (em, row) => appendDaemonEvents(em, row, [{ daemonSeq: 2n, event: done }]));
    const after = await store.findById(s.id);
    assert.deepEqual([after?.state, after?.turnCount, after?.activeTurn], ["ready", 1, 0]);
    const kinds = (await readEvents(orm.em.fork(), s.id, 0n, 100)).map((e) => e.payload.case);
    assert.deepEqual(kinds, ["stateChanged", "stateChanged", "turnStarted", "stateChanged", "turnCompleted", "stateChanged"]);
    await assert.rejects(
      store.withLocked(s.id, (em, row) => transitionLocked(em, row, "paused", "Nope")),
      (e: unknown) => e instanceof ConnectError && e.code === Code.FailedPrecondition,
    );
  });
});
