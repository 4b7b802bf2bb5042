/**
 * Fault: a full disk in a session volume, while other sessions are busy. The volume is a 2 MiB
 * tmpfs mounted over the session's workspace (requires root); a turn writes past it. Asserted:
 * the user sees the turn fail as VolumeFull naming the volume, a daemon start on the full volume
 * fails the session as VolumeFull (one start, no loop), other sessions go on, and once space is
 * freed a message brings the session back with every acknowledged event intact.
 */
import { execFile } from "node:child_process";
import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AgentService, ModelProvider, type AgentSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { clientOf } from "../clients.js";
import { daemonLogLines, eventually, listAllEvents, ref, turnEnd } from "../fault-support.js";
import { Fleet } from "./faults-fleet.js";
import { tmpfsUnavailable } from "../tmpfs.js";
import { startFaultPlane, type FaultPlane } from "./faults-plane.js";

const run = promisify(execFile);
const BUSY = 4;

const noTmpfs = tmpfsUnavailable();

describe(`fault: a full disk in a session volume (tmpfs, real daemons, control plane in a child process)${noTmpfs ? ` (skipped: ${noTmpfs})` : ""}`, function () {
  this.timeout(120_000);
  let plane: FaultPlane | undefined;
  let fleets: Fleet[] = [];
  let mounted: string | undefined;

  afterEach(async () => {
    await Promise.all(fleets.map((f) => f.stop()));
    if (mounted) await run("umount", ["-l", mounted]).catch(() => undefined);
    await plane?.close();
    plane = mounted = undefined;
    fleets = [];
  });

  it("a full disk in a session volume: the turn fails as VolumeFull naming the volume, a start on a full volume fails the session as VolumeFull without a restart loop, other sessions go on, and once space is freed the session works again with every event intact", async function () {
    if (noTmpfs) this.skip();
    plane = await startFaultPlane();
    await clientOf(AgentService, plane.url, plane.token).createAgent({ agent: diskFillerAgent("filler") });
    const fleet = await Fleet.start(plane, "df", BUSY);
    const disk = await Fleet.start(plane, "disk", 1, "filler");
    fleets.push(fleet, disk);
    const victim = disk.members[0]!;
    const session = () => plane!.sessions.getSession({ ref: ref(victim.name) });
    const workspace = join(plane.dataDir, "sessions", victim.id, "workspace");
    const reserve = join(workspace, ".raworc", "reserve");

    // The daemon must start on the small volume: pause it, put the volume on a 2 MiB tmpfs, resume.
    await plane.sessions.pauseSession({ ref: ref(victim.name) });
    await eventually("PAUSED", session, (r) => r.session?.status?.state === SessionState.PAUSED);
    const saved = await mkdtemp(join(tmpdir(), "raworc-faults-volume-"));
    await cp(workspace, saved, { recursive: true });
    await run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", workspace]);
    mounted = workspace;
    await cp(saved, workspace, { recursive: true });
    await rm(saved, { recursive: true, force: true });
    await plane.sessions.resumeSession({ ref: ref(victim.name) });
    await disk.allReady();
    assert.ok((await stat(reserve)).size > 0, "the daemon keeps a space reserve on the volume");

    // A turn fills the volume: it ends with TurnFailed VolumeFull naming the volume, and the session stays usable.
    await plane.sessions.sendMessage({ ref: ref(victim.name), text: "fill the disk" });
    await fleet.talk(1, "meanwhile");
    const end = await victim.watcher.waitFor("the filling turn ended", (e) => turnEnd([e], 1) !== undefined, 60_000).catch(async (error: unknown) => {
      const log = await readFile(join(plane!.dataDir, "sessions", victim.id, "daemon.log"), "utf8").catch(() => "");
      throw new Error(`${String(error)}\ndaemon.log:\n${log.slice(-3000)}\nevents: ${victim.watcher.events.map((e) => e.payload.case).join(",")}`);
    });
    assert.equal(end.payload.case, "turnFailed", "the turn that filled the volume failed");
    assert.equal(end.payload.case === "turnFailed" && end.payload.value.reason, "VolumeFull");
    const told = end.payload.case === "turnFailed" ? end.payload.value.message : "";
    assert.ok(told.includes(workspace) && /is full: .* of 2\.0 MiB used/.test(told), `the failure names the volume and how full it is: ${told}`);
    const stored = await listAllEvents(plane.sessions, victim.name);
    assert.ok(stored.some((e) => e.turn === 1 && e.payload.case === "toolCallCompleted"), "the tool call's result was recorded, not lost");
    assert.deepEqual(stored.filter((e) => e.payload.case === "turnFailed").length, 1, "ListEvents holds the one failure");
    await eventually("READY after the failed turn", session, (r) => r.session?.status?.state === SessionState.READY);
    await fleet.turnEnded(1);

    // A start on a full volume (its reserve spent): FAILED VolumeFull at once, no restart loop.
    await plane.sessions.pauseSession({ ref: ref(victim.name) });
    await eventually("PAUSED before the full start", session, (r) => r.session?.status?.state === SessionState.PAUSED);
    await run("dd", ["if=/dev/zero", `of=${join(workspace, "more")}`, "bs=64k", "count=64"]).catch(() => undefined); // ends with ENOSPC
    await plane.sessions.resumeSession({ ref: ref(victim.name) });
    const failed = await eventually("FAILED as VolumeFull", session, (r) => r.session?.status?.state === SessionState.FAILED, 60_000);
    assert.equal(failed.session?.status?.reason, "VolumeFull");
    assert.match(failed.session?.status?.message ?? "", /volume is full/);
    const refusedStarts = await daemonLogLines(plane.dataDir, victim.id, "cannot start");
    assert.equal(refusedStarts.length, 1, "one start on the full volume, not a restart loop");
    assert.equal((await session()).session?.status?.state, SessionState.FAILED, "it stays FAILED until someone acts");

    // Space freed: a message resumes the FAILED session, the reserve is back, the next turn completes, nothing acknowledged is lost.
    await rm(join(workspace, "big"), { force: true });
    await rm(join(workspace, "more"), { force: true });
    await plane.sessions.sendMessage({ ref: ref(victim.name), text: "are you well?" });
    await victim.watcher.waitFor("the next turn completed", (e) => e.turn === 2 && e.payload.case === "turnCompleted", 60_000);
    assert.ok((await stat(reserve)).size > 0, "the space reserve is back once there is room");
    assert.equal((await daemonLogLines(plane.dataDir, victim.id, "cannot start")).length, 1, "no further refused start");
    await disk.assertNothingLost();
    await fleet.assertNothingLost();
  });
});

/** A scripted agent that, asked to fill the disk, writes 4 MiB with the shell tool; otherwise answers "fine". */
function diskFillerAgent(name: string): MessageInitShape<typeof AgentSchema> {
  return {
    metadata: ref(name),
    spec: {
      instructions: "Fill the disk when asked.",
      tools: [{ name: "shell" }],
      model: {
        provider: ModelProvider.SCRIPTED,
        scripted: {
          turns: [
            {
              match: "fill",
              steps: [
                { step: { case: "toolCall", value: { name: "shell", argumentsJson: JSON.stringify({ command: "dd if=/dev/zero of=big bs=64k count=64" }) } } },
                { step: { case: "text", value: "tried" } },
              ],
            },
            { steps: [{ step: { case: "text", value: "fine" } }] },
          ],
        },
      },
    },
  };
}
