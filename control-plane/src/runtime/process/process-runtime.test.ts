/**
 * The process runtime supervising real processes. The daemon is the stand-in sleeper (it takes
 * raworc-agent's command line and speaks no protocol): these tests are about processes —
 * groups, signals, exit codes, adoption after a restart, environment — not the daemon.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { isGone, processesWithArgument, procStrings, waitUntil } from "@raworc/test-support/processes/process-checks.js";
import { configureSleeper, SLEEPER_ENTRY, waitSleeperReady, type SleeperBehaviour } from "@raworc/test-support/processes/sleeper-control.js";
import { ConfigurationError } from "../../errors.js";
import { createLogger } from "../../logger.js";
import type { SessionLaunch } from "../session-runtime.js";
import { writePidRecordSync } from "./daemon-record.js";
import { sessionPaths } from "./layout.js";
import { defaultDaemonEntry } from "./daemon-entry.js";
import { ProcessRuntime, type ProcessRuntimeOptions } from "./process-runtime.js";
import { daemonNodeFlags } from "./spawn-daemon.js";

describe("process runtime: daemons", () => {
  let dataDir: string;
  const runtimes: ProcessRuntime[] = [];
  const pids: number[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "raworc-process-runtime-"));
  });

  afterEach(async () => {
    // Whatever a failed test left running is killed, so no test leaves a process behind; a pid
    // that now names anything but one of our node processes is left alone.
    for (const pid of pids.splice(0)) {
      const argv = await procStrings(pid, "cmdline").catch((): string[] => []);
      if (argv[0] !== process.execPath) continue;
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
    }
    for (const runtime of runtimes.splice(0)) await runtime.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function runtime(options: Partial<ProcessRuntimeOptions> = {}): ProcessRuntime {
    const created = new ProcessRuntime({ dataDir, daemonEntry: SLEEPER_ENTRY, pollMs: 50, graceMs: 5_000, ...options });
    runtimes.push(created);
    return created;
  }

  function launch(sessionId = randomUUID()): SessionLaunch {
    return {
      sessionId,
      namespace: "default",
      name: `s-${sessionId.slice(0, 8)}`,
      controlPlaneUrl: "http://127.0.0.1:1",
      daemonToken: `token-${randomBytes(16).toString("hex")}`,
      resources: { cpu: "", memory: "", storage: "" },
    };
  }

  /** Creates the volume, configures the sleeper, starts it and waits until it is ready. */
  async function startSleeper(rt: ProcessRuntime, behaviour: SleeperBehaviour = {}, l = launch()) {
    await rt.ensureVolume(l.sessionId);
    const workspace = sessionPaths(dataDir, l.sessionId).workspace;
    await configureSleeper(workspace, behaviour);
    await rt.start(l);
    const ready = await waitSleeperReady(workspace);
    pids.push(ready.pid, ...(ready.grandchildPid === undefined ? [] : [ready.grandchildPid]));
    return { launch: l, workspace, ...ready };
  }

  async function daemonLog(sessionId: string): Promise<string> {
    return readFile(sessionPaths(dataDir, sessionId).log, "utf8");
  }

  it("starts the daemon in its volume with the session's arguments; stop sends SIGTERM and leaves it absent", async () => {
    const rt = runtime();
    const { launch: l, workspace, pid } = await startSleeper(rt);

    const seen = await rt.observe(l.sessionId);
    assert.deepEqual(seen, { sessionId: l.sessionId, volume: "present", daemon: "running", handle: String(pid) });
    const argv = await procStrings(pid, "cmdline");
    assert.deepEqual(argv.slice(1), [...daemonNodeFlags, SLEEPER_ENTRY, "--control-plane", l.controlPlaneUrl, "--session-id", l.sessionId, "--workspace", workspace]);
    assert.match(await daemonLog(l.sessionId), new RegExp(`started in ${workspace}`));

    await rt.stop(l.sessionId);
    assert.ok(await isGone(pid), "the daemon is gone once stop resolves");
    assert.match(await daemonLog(l.sessionId), /SIGTERM, exiting/);
    assert.deepEqual(await rt.observe(l.sessionId), { sessionId: l.sessionId, volume: "present", daemon: "absent" });
  });

  it("stop escalates to SIGKILL for a daemon that ignores SIGTERM, and ends its whole process group", async () => {
    const rt = runtime();
    const { launch: l, pid, grandchildPid } = await startSleeper(rt, { ignoreSigterm: true, grandchild: true });
    assert.ok(grandchildPid !== undefined && !(await isGone(grandchildPid)));

    await rt.stop(l.sessionId, { graceMs: 300 });
    assert.match(await daemonLog(l.sessionId), /SIGTERM, ignored/, "SIGTERM came first and was survived");
    assert.ok(await isGone(pid), "the daemon was killed");
    assert.ok(await isGone(grandchildPid), "the process it started was killed with it");
    assert.equal((await rt.observe(l.sessionId)).daemon, "absent");
  });

  it("reports a daemon that exits on its own as exited with its code, through watch and observe, and kills what it left", async () => {
    const rt = runtime();
    const changes: string[] = [];
    const watching = new AbortController();
    rt.watch((id) => changes.push(id), watching.signal);
    const { launch: l, grandchildPid } = await startSleeper(rt, { exitCode: 3, exitAfterMs: 100, grandchild: true });
    assert.ok(changes.includes(l.sessionId), "the spawn was reported");
    const before = changes.length;

    await waitUntil("the exit is reported", () => changes.length > before);
    const seen = await rt.observe(l.sessionId);
    assert.equal(seen.daemon, "exited");
    assert.equal(seen.exitCode, 3);
    assert.match(seen.message ?? "", /exited with code 3/);
    assert.ok(grandchildPid !== undefined);
    await waitUntil("the leftover process is gone", () => isGone(grandchildPid), 5_000);

    // An exited daemon is started again on the same volume; watching stops when its signal aborts.
    watching.abort();
    await configureSleeper(sessionPaths(dataDir, l.sessionId).workspace, {});
    const count = changes.length;
    await rt.start(l);
    assert.equal((await rt.observe(l.sessionId)).daemon, "running");
    assert.equal(changes.length, count);
    await rt.stop(l.sessionId);
  });

  it("logs a daemon's clean exit (code 0: it stopped as asked, on a pause or delete) at info, and a crash as a warning", async () => {
    const lines: { level: number; msg: string; sessionId?: string }[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
        done();
      },
    });
    const rt = runtime({ logger: createLogger("info", sink) });
    const exitLine = async (exitCode: number) => {
      const { launch: l } = await startSleeper(rt, { exitCode, exitAfterMs: 100 });
      await waitUntil(`the exit with code ${exitCode} is logged`, () => lines.some((line) => line.sessionId === l.sessionId && /exited/.test(line.msg)));
      return lines.find((line) => line.sessionId === l.sessionId && /exited/.test(line.msg))!;
    };
    const clean = await exitLine(0);
    assert.deepEqual([clean.level, clean.msg], [30, "the daemon exited with code 0"], "info, not a warning");
    const crash = await exitLine(3);
    assert.deepEqual([crash.level, crash.msg], [40, "the daemon exited with code 3"], "a crash stays a warning");
  });

  it("reports a daemon entry that cannot run as exited with code 1", async () => {
    const rt = runtime({ daemonEntry: join(dataDir, "no-such-daemon.js") });
    const l = launch();
    await rt.ensureVolume(l.sessionId);
    await rt.start(l);
    await waitUntil("the daemon has exited", async () => (await rt.observe(l.sessionId)).daemon === "exited");
    assert.equal((await rt.observe(l.sessionId)).exitCode, 1);
    assert.match(await daemonLog(l.sessionId), /Cannot find module/);
  });

  it("destroy stops the daemon and removes the session directory", async () => {
    const rt = runtime();
    const { launch: l, pid } = await startSleeper(rt);
    await rt.destroy(l.sessionId);
    assert.ok(await isGone(pid));
    await assert.rejects(stat(sessionPaths(dataDir, l.sessionId).dir), { code: "ENOENT" });
    assert.deepEqual(await rt.observe(l.sessionId), { sessionId: l.sessionId, volume: "absent", daemon: "absent" });
    assert.deepEqual(await rt.list(), []);
  });

  it("a new runtime over the same data directory adopts a running daemon, and reports it exited once it is killed", async () => {
    const before = runtime();
    const { launch: l, pid } = await startSleeper(before);
    await before.close();

    const after = runtime();
    assert.deepEqual(await after.observe(l.sessionId), { sessionId: l.sessionId, volume: "present", daemon: "running", handle: String(pid) });
    assert.deepEqual(await after.list(), [await after.observe(l.sessionId)]);
    await after.start(l);
    assert.equal((await after.observe(l.sessionId)).handle, String(pid), "start adopted it rather than starting another");

    const changes: string[] = [];
    after.watch((id) => changes.push(id), new AbortController().signal);
    process.kill(pid, "SIGKILL");
    await waitUntil("the adopted daemon's exit is reported", () => changes.includes(l.sessionId));
    const seen = await after.observe(l.sessionId);
    assert.equal(seen.daemon, "exited");
    assert.equal(seen.exitCode, undefined);
    assert.match(seen.message ?? "", /while no control plane was watching/);

    await after.stop(l.sessionId);
    assert.equal((await after.observe(l.sessionId)).daemon, "absent");
  });

  it("a new runtime stops an adopted daemon by its process group", async () => {
    const before = runtime();
    const { launch: l, pid, grandchildPid } = await startSleeper(before, { ignoreSigterm: true, grandchild: true });
    await before.close();

    const after = runtime();
    await after.stop(l.sessionId, { graceMs: 200 });
    assert.ok(await isGone(pid));
    assert.ok(grandchildPid !== undefined && (await isGone(grandchildPid)));
    assert.equal((await after.observe(l.sessionId)).daemon, "absent");
  });

  it("does not take a reused pid for its daemon: a recorded pid with another start time is exited, and stop leaves it alone", async () => {
    const rt = runtime();
    const l = launch();
    await rt.ensureVolume(l.sessionId);
    const stranger = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], { detached: true, stdio: "ignore" });
    assert.ok(stranger.pid !== undefined);
    pids.push(stranger.pid);
    writePidRecordSync(sessionPaths(dataDir, l.sessionId), { pid: stranger.pid, started: "1", spawnedAt: "" });

    const seen = await rt.observe(l.sessionId);
    assert.equal(seen.daemon, "exited");
    await rt.stop(l.sessionId, { graceMs: 100 });
    assert.ok(!(await isGone(stranger.pid)), "the process that now has the pid was not signalled");
    assert.equal((await rt.observe(l.sessionId)).daemon, "absent");
    stranger.kill("SIGKILL");
  });

  it("passes the token only in the environment, with none of the server's own variables", async () => {
    process.env.RAWORC_TEST_SERVER_SECRET = "server-only";
    try {
      const rt = runtime({ env: { RAWORC_LOG_LEVEL: "debug" } });
      const { launch: l, pid, workspace } = await startSleeper(rt);
      const argv = await procStrings(pid, "cmdline");
      assert.ok(!argv.some((arg) => arg.includes(l.daemonToken)), "the token is not on the command line");
      const env = await procStrings(pid, "environ");
      assert.ok(env.includes(`RAWORC_SESSION_TOKEN=${l.daemonToken}`));
      assert.ok(env.includes(`HOME=${workspace}`));
      assert.ok(env.includes("RAWORC_LOG_LEVEL=debug"), "the configured extra variables are passed");
      assert.ok(!env.some((v) => v.startsWith("RAWORC_TEST_SERVER_SECRET=")), "the server's environment is not");
    } finally {
      delete process.env.RAWORC_TEST_SERVER_SECRET;
    }
  });

  it("every method is idempotent, and concurrent starts start one daemon", async () => {
    const rt = runtime();
    const l = launch();
    assert.deepEqual(await rt.observe(l.sessionId), { sessionId: l.sessionId, volume: "absent", daemon: "absent" });
    await rt.stop(l.sessionId);
    await rt.destroy(l.sessionId);
    await rt.ensureVolume(l.sessionId);
    await rt.ensureVolume(l.sessionId);
    await Promise.all([rt.start(l), rt.start(l), rt.start(l)]);
    const { pid } = await waitSleeperReady(sessionPaths(dataDir, l.sessionId).workspace);
    pids.push(pid);
    await rt.start(l);
    assert.equal((await rt.observe(l.sessionId)).handle, String(pid));
    assert.deepEqual(await processesWithArgument(l.sessionId), [pid], "one daemon runs");
    await Promise.all([rt.stop(l.sessionId), rt.stop(l.sessionId)]);
    await rt.stop(l.sessionId);
    assert.ok(await isGone(pid));
    await rt.destroy(l.sessionId);
    await rt.destroy(l.sessionId);
    assert.deepEqual(await rt.list(), []);
  });

  it("lists every session directory, with or without a daemon, so the reconciler can clean up strays", async () => {
    const rt = runtime();
    const { launch: running, pid } = await startSleeper(rt);
    const idle = randomUUID();
    await rt.ensureVolume(idle);
    const listed = new Map((await rt.list()).map((o) => [o.sessionId, o]));
    assert.deepEqual(listed.get(running.sessionId), { sessionId: running.sessionId, volume: "present", daemon: "running", handle: String(pid) });
    assert.deepEqual(listed.get(idle), { sessionId: idle, volume: "present", daemon: "absent" });
    assert.equal(listed.size, 2);
    for (const id of listed.keys()) await rt.destroy(id);
    assert.deepEqual(await rt.list(), []);
    assert.ok(await isGone(pid));
  });

  it("refuses to start without a volume, and refuses session ids that are not plain names", async () => {
    const rt = runtime();
    await assert.rejects(rt.start(launch()), /has no volume/);
    await assert.rejects(rt.ensureVolume("../escape"), /invalid session id/);
    await assert.rejects(rt.destroy("a/b"), /invalid session id/);
    await assert.rejects(rt.observe(".."), /invalid session id/);
  });

  it("finds the raworc-agent bin of @raworc/agent-runtime, and says so when it is not installed", async () => {
    const bin = fileURLToPath(new URL("../../../../agent-runtime/bin/raworc-agent.js", import.meta.url));
    if (existsSync(bin)) assert.equal(await realpath(defaultDaemonEntry()), await realpath(bin));
    else assert.throws(() => new ProcessRuntime({ dataDir }), ConfigurationError);
  });

  it("runs the bundled raworc-agent with plain node by default, which stays up while it retries an unreachable control plane and stops on SIGTERM", async function () {
    if (!existsSync(join(dirname(defaultDaemonEntry()), "../src/main.ts"))) this.skip(); // waits for: the agent-runtime sources beside the bin (a full checkout)
    const rt = new ProcessRuntime({ dataDir, pollMs: 50, env: { RAWORC_SHUTDOWN_GRACE_MS: "200" } });
    runtimes.push(rt);
    const l = launch();
    await rt.ensureVolume(l.sessionId);
    await rt.start(l);
    const { handle } = await rt.observe(l.sessionId);
    const pid = Number(handle);
    pids.push(pid);
    // Its SIGTERM handler is installed once it has opened its volume and begun attaching; a
    // SIGTERM before that ends it without its "daemon stopped".
    await waitUntil("the daemon retries attaching", async () => (await daemonLog(l.sessionId)).includes("reconnecting"));
    assert.equal((await rt.observe(l.sessionId)).daemon, "running");
    const argv = await procStrings(pid, "cmdline");
    assert.equal(argv[0], process.execPath);
    assert.match(argv[1 + daemonNodeFlags.length] ?? "", /agent-runtime\/node_modules\/\.cache\/raworc-agent\/[0-9a-f]{64}\/raworc-agent\.mjs$/, "the bundle, not the bin through tsx");
    assert.ok(!argv.some((arg) => arg.includes(l.daemonToken)));

    await rt.stop(l.sessionId, { graceMs: 20_000 });
    assert.ok(await isGone(pid));
    assert.match(await daemonLog(l.sessionId), /daemon stopped/, "it stopped on SIGTERM, not SIGKILL");
    assert.equal((await rt.observe(l.sessionId)).daemon, "absent");
  });

  it("rotates the daemon log when it grows past its cap", async () => {
    const rt = runtime({ maxLogBytes: 4_096 });
    const { launch: l } = await startSleeper(rt, { stdoutBytes: 64 * 1024 });
    const log = sessionPaths(dataDir, l.sessionId).log;
    const size = (file: string) => stat(file).then((s) => s.size, () => 0);
    await waitUntil("the log is rotated into daemon.log.1 and starts again", async () => (await size(`${log}.1`)) >= 64 * 1024 && (await size(log)) <= 4_096);
    assert.match(await readFile(`${log}.1`, "utf8"), /^x{1000}/);
    await rt.stop(l.sessionId);
  });
});
