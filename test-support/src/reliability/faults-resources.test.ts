/**
 * Faults of the resources under a busy control plane: PostgreSQL restarting, and clients that
 * never read their streams. Each with what the user sees, that
 * the system recovers on its own (or once space is freed), and that nothing acknowledged is
 * lost (see faults-fleet.ts). Real daemons, control plane in a child process.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "@raworc/control-plane";
import { AgentService, ModelProvider, type AgentSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { clientOf } from "../clients.js";
import { eventually, fullReply, ref, replyOf } from "../fault-support.js";
import { Fleet } from "./faults-fleet.js";
import { startFaultPlane, STREAM_CHUNKS, type FaultPlane } from "./faults-plane.js";
import { stalledWatch, type StalledWatch } from "./faults-slow-watch.js";
import { processMemory } from "./process-memory.js";

const BUSY = 5;

/** The code of a failed call (Unknown for what is not a ConnectError). */
const codeOf = (error: unknown): string => Code[ConnectError.from(error).code];

/** Calls `rpc` until it has failed `failures` times, and returns every failure's code. */
async function failureCodes(rpc: () => Promise<unknown>, failures: number): Promise<string[]> {
  const codes: string[] = [];
  await eventually(
    `${failures} failed calls`,
    async () => {
      await rpc().catch((error: unknown) => codes.push(codeOf(error)));
      return codes.length;
    },
    (n) => n >= failures,
    60_000,
  );
  return codes;
}

describe("faults of resources under load (real daemons, control plane in a child process)", function () {
  this.timeout(120_000);
  let plane: FaultPlane | undefined;
  let fleets: Fleet[] = [];
  let pg: EmbeddedPostgres | undefined;
  let pgDir: string | undefined;
  let stalled: StalledWatch[] = [];

  afterEach(async () => {
    for (const watch of stalled) watch.close();
    await Promise.all(fleets.map((f) => f.stop()));
    await plane?.close();
    await pg?.stop();
    if (pgDir) await rm(pgDir, { recursive: true, force: true });
    plane = pg = pgDir = undefined;
    fleets = [];
    stalled = [];
  });

  it(`PostgreSQL restarts under a running control plane, ${BUSY} sessions busy: RPCs answer UNAVAILABLE meanwhile, then everything works again, nothing lost`, async () => {
    // A PostgreSQL of its own, so stopping it touches no other suite's database.
    pgDir = await mkdtemp(join(tmpdir(), "raworc-faults-pg-"));
    pg = await startEmbeddedPostgres({ dataDir: pgDir, durable: false });
    const port = Number(new URL(pg.url).port);
    plane = await startFaultPlane({ databaseUrl: pg.url });
    const fleet = await Fleet.start(plane, "pg", BUSY);
    fleets.push(fleet);

    await fleet.talk(1, "talk for a while");
    await pg.stop();
    const sessions = plane.sessions;
    const codes = [
      ...(await failureCodes(() => sessions.getSession({ ref: ref("pg-0") }), 3)),
      ...(await failureCodes(() => sessions.listSessions({ namespace: "default" }), 3)),
      ...(await failureCodes(() => sessions.sendMessage({ ref: ref("pg-0"), text: "anyone?" }), 3)),
    ];
    assert.deepEqual([...new Set(codes)], ["Unavailable"], `without its database the control plane answers UNAVAILABLE, never INTERNAL: ${codes.join(", ")}`);

    pg = await startEmbeddedPostgres({ dataDir: pgDir, durable: false, port });
    // The daemons finish turn 1 in their outboxes and resend it once the control plane can store again.
    await fleet.turnEnded(1, 90_000);
    await fleet.allReady();
    await fleet.talk(2, "back?");
    await fleet.turnEnded(2);
    const logs = await fleet.assertNothingLost();
    for (const m of fleet.members) {
      for (const turn of [1, 2]) assert.equal(replyOf(logs.get(m.name)!, turn), fullReply(STREAM_CHUNKS), `${m.name} turn ${turn}: the whole reply, once`);
    }
  });

  it(`clients that never read their WatchSession stream while a session streams thousands of deltas: the server's memory stays bounded, other watchers and RPCs are unaffected`, async () => {
    plane = await startFaultPlane();
    await clientOf(AgentService, plane.url, plane.token).createAgent({ agent: firehoseAgent("firehose") });
    const fleet = await Fleet.start(plane, "sc", BUSY);
    const hose = await Fleet.start(plane, "hose", 1, "firehose");
    fleets.push(fleet, hose);
    const before = await processMemory(plane.process.pid);

    stalled = Array.from({ length: STALLED_WATCHES }, () => stalledWatch(plane!.url, plane!.token, "hose-0"));
    await Promise.all(stalled.map((w) => w.opened));
    for (let turn = 1; turn <= FIREHOSE_TURNS; turn++) {
      await plane.sessions.sendMessage({ ref: ref("hose-0"), text: `turn ${turn}` });
      await fleet.talk(turn, `turn ${turn}`); // the busy sessions and their watchers go on meanwhile
      await hose.turnEnded(turn, 90_000);
      await fleet.turnEnded(turn);
    }
    const during = await processMemory(plane.process.pid);
    const logs = await hose.assertNothingLost();
    const fleetLogs = await fleet.assertNothingLost();
    for (const [name, log] of fleetLogs) assert.equal(replyOf(log, FIREHOSE_TURNS), fullReply(STREAM_CHUNKS), `${name}: unaffected`);
    const deltas = logs.get("hose-0")!.filter((e) => e.payload.case === "textDelta").length;
    assert.equal(deltas, FIREHOSE_TURNS * FIREHOSE_STEPS, "the normal watcher received every delta");
    const producedMiB = Math.round((FIREHOSE_TURNS * FIREHOSE_STEPS * FIREHOSE_CHUNK_BYTES) / 2 ** 20);
    const report = { stalledWatches: STALLED_WATCHES, deltas, producedMiB, unreadMiB: producedMiB * STALLED_WATCHES, rssBeforeMiB: before.rssMiB, rssAfterMiB: during.rssMiB, boundMiB: before.rssMiB + RSS_GROWTH_BOUND_MIB };
    console.log(`      slow consumer: ${JSON.stringify(report)}`);
    assert.ok(during.rssMiB - before.rssMiB <= RSS_GROWTH_BOUND_MIB, `control-plane RSS grew by at most ${RSS_GROWTH_BOUND_MIB} MiB while ${STALLED_WATCHES} watches left ${report.unreadMiB} MiB unread: ${JSON.stringify(report)}`);
  });
});

/** Slow watches opened on the firehose session. */
const STALLED_WATCHES = 8;
const FIREHOSE_TURNS = 2;
const FIREHOSE_STEPS = 1000;
const FIREHOSE_CHUNK_BYTES = 3000;
/**
 * Allowed RSS growth of the control plane: the busy sessions, a watch page (≤ 1 MiB) per watch
 * and the socket buffers; a server that queued the unread stream would hold every stalled
 * watch's copy of the reply (STALLED_WATCHES × ~9 MiB, more as JS objects).
 */
const RSS_GROWTH_BOUND_MIB = 40;

/** A scripted agent whose every turn streams {@link FIREHOSE_STEPS} deltas of {@link FIREHOSE_CHUNK_BYTES} bytes, as fast as it can. */
function firehoseAgent(name: string): MessageInitShape<typeof AgentSchema> {
  const steps = Array.from({ length: FIREHOSE_STEPS }, (_, i) => ({ step: { case: "text" as const, value: `${String(i).padStart(4, "0")}${"x".repeat(FIREHOSE_CHUNK_BYTES - 4)}` } }));
  return { metadata: ref(name), spec: { instructions: "Talk a lot.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps }] } } } };
}

