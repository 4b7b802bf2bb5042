/**
 * Fault: a full disk in a session volume, while other sessions are busy. The volume is a 2 MiB
 * tmpfs mounted over the session's workspace (requires root); a turn writes past it. Asserted:
 * the user sees a failure naming the disk, other sessions go on, and once space is freed the
 * session works again with every acknowledged event intact.
 */
import { execFile } from "node:child_process";
import { cp, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { AgentService, ModelProvider, type AgentSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { clientOf } from "../clients.js";
import { eventually, listAllEvents, ref, turnEnd } from "../fault-support.js";
import { Fleet } from "./faults-fleet.js";
import { startFaultPlane, type FaultPlane } from "./faults-plane.js";

const run = promisify(execFile);
const BUSY = 4;

describe("fault: a full disk in a session volume (tmpfs, real daemons, control plane in a child process)", function () {
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

  // Pending on a daemon defect found by this test: on ENOSPC the daemon exits ("daemon failed",
  // then "cannot start" on every restart) instead of ending the turn with a failure naming the
  // disk, so the user sees only STARTING again and again. Enable once agent-runtime reports it.
  it.skip("(waits for the daemon to report a full volume instead of crash-looping) a full disk in a session volume: the user sees a failure naming the disk, other sessions go on, and once space is freed the session works again with every event intact", async function () {
    if (process.getuid?.() !== 0) this.skip(); // requires root to mount tmpfs
    plane = await startFaultPlane();
    await clientOf(AgentService, plane.url, plane.token).createAgent({ agent: diskFillerAgent("filler") });
    const fleet = await Fleet.start(plane, "df", BUSY);
    const disk = await Fleet.start(plane, "disk", 1, "filler");
    fleets.push(fleet, disk);
    const victim = disk.members[0]!;
    const workspace = join(plane.dataDir, "sessions", victim.id, "workspace");

    // The daemon must start on the small volume: pause it, put the volume on a 2 MiB tmpfs, resume.
    await plane.sessions.pauseSession({ ref: ref(victim.name) });
    await eventually("PAUSED", () => plane!.sessions.getSession({ ref: ref(victim.name) }), (r) => r.session?.status?.state === SessionState.PAUSED);
    const saved = await mkdtemp(join(tmpdir(), "raworc-faults-volume-"));
    await cp(workspace, saved, { recursive: true });
    try {
      await run("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", workspace]);
    } catch (error) {
      await rm(saved, { recursive: true, force: true });
      this.skip(); // requires root to mount tmpfs (mount refused: a container without CAP_SYS_ADMIN)
      throw error;
    }
    mounted = workspace;
    await cp(saved, workspace, { recursive: true });
    await rm(saved, { recursive: true, force: true });
    await plane.sessions.resumeSession({ ref: ref(victim.name) });
    await disk.allReady();

    await plane.sessions.sendMessage({ ref: ref(victim.name), text: "fill the disk" });
    await fleet.talk(1, "meanwhile");
    const end = await victim.watcher.waitFor("the filling turn ended", (e) => turnEnd([e], 1) !== undefined, 60_000).catch(async (error: unknown) => {
      const log = await readFile(join(plane!.dataDir, "sessions", victim.id, "daemon.log"), "utf8").catch(() => "");
      throw new Error(`${String(error)}\ndaemon.log:\n${log.slice(-3000)}\nevents: ${victim.watcher.events.map((e) => e.payload.case).join(",")}`);
    });
    const stored = await listAllEvents(plane.sessions, victim.name);
    const failure = stored.find((e) => e.turn === 1 && e.payload.case === "toolCallCompleted");
    console.log(`      full disk: ${end.payload.case} ${JSON.stringify(failure?.payload.value ?? end.payload.value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
    await fleet.turnEnded(1);

    await run("mount", ["-o", "remount,size=64m", workspace]);
    await run("rm", ["-f", join(workspace, "big")]);
    await plane.sessions.sendMessage({ ref: ref(victim.name), text: "are you well?" });
    await victim.watcher.waitFor("the next turn completed", (e) => e.turn === 2 && e.payload.case === "turnCompleted", 60_000);
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
