/**
 * The warm pool with the real bundled raworc-agent: warm daemons hold no session and no token,
 * a start claims one (the token travels over IPC, never argv or environment), the pool refills,
 * a killed warm daemon is replaced, and nothing is left running when the runtime or its whole
 * control-plane process goes away. Then a whole session served by a claimed daemon.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer } from "@raworc/test-support/control-plane.js";
import { isGone, procStrings, waitUntil } from "@raworc/test-support/processes/process-checks.js";
import type { SessionLaunch } from "../session-runtime.js";
import { sessionPaths } from "./layout.js";
import { ProcessRuntime } from "./process-runtime.js";

describe("process runtime: warm pool", function () {
  this.timeout(120_000);
  let dataDir: string;
  const runtimes: ProcessRuntime[] = [];
  const pids: number[] = [];

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "raworc-warm-pool-"));
  });

  afterEach(async () => {
    for (const runtime of runtimes.splice(0)) {
      for (const leftover of await runtime.list()) await runtime.destroy(leftover.sessionId);
      await runtime.close();
    }
    for (const pid of pids.splice(0)) {
      if ((await procStrings(pid, "cmdline").catch((): string[] => []))[0] !== process.execPath) continue;
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  function runtime(warmPool: number): ProcessRuntime {
    const created = new ProcessRuntime({ dataDir, warmPool, pollMs: 50, env: { RAWORC_SHUTDOWN_GRACE_MS: "200" } });
    runtimes.push(created);
    return created;
  }

  function launch(): SessionLaunch {
    const sessionId = randomUUID();
    return {
      sessionId,
      namespace: "default",
      name: `s-${sessionId.slice(0, 8)}`,
      controlPlaneUrl: "http://127.0.0.1:1",
      daemonToken: `token-${randomBytes(16).toString("hex")}`,
      resources: { cpu: "", memory: "", storage: "" },
    };
  }

  async function loadedPool(rt: ProcessRuntime, size: number): Promise<number[]> {
    const pool = rt.warmPool;
    assert.ok(pool);
    await waitUntil(`${size} warm daemons are loaded`, () => pool.loaded === size, 60_000);
    const warm = pool.pids();
    pids.push(...warm);
    return warm;
  }

  it("keeps warm daemons without session or token; a start claims one, which gets the token only over IPC, and the pool refills", async () => {
    const rt = runtime(2);
    const warm = await loadedPool(rt, 2);
    for (const pid of warm) {
      const argv = await procStrings(pid, "cmdline");
      assert.equal(argv.at(-1), "--await-claim");
      assert.match(argv.at(-2) ?? "", /raworc-agent\.mjs$/, "warm daemons run the bundle");
      assert.ok(!(await procStrings(pid, "environ")).some((v) => v.startsWith("RAWORC_SESSION_TOKEN=")), "a warm daemon holds no token");
    }

    const l = launch();
    await rt.ensureVolume(l.sessionId);
    await rt.start(l);
    const seen = await rt.observe(l.sessionId);
    assert.equal(seen.daemon, "running");
    const pid = Number(seen.handle);
    assert.ok(warm.includes(pid), "the session's daemon is one of the warm ones");
    const paths = sessionPaths(dataDir, l.sessionId);
    // It took the session: it tries to attach for it, from its volume, with its log as the session's.
    await waitUntil("the claimed daemon attaches for its session", async () => (await readFile(paths.log, "utf8").catch(() => "")).includes("reconnecting"));
    assert.match(await readFile(paths.log, "utf8"), new RegExp(`"sessionId":"${l.sessionId}"`));
    assert.equal(await readlink(`/proc/${pid}/cwd`), paths.workspace);
    for (const file of ["cmdline", "environ"] as const) {
      assert.ok(!(await procStrings(pid, file)).some((v) => v.includes(l.daemonToken)), `the token is not in /proc/<pid>/${file}`);
    }
    assert.ok(!(await readFile(paths.log, "utf8")).includes(l.daemonToken), "nor in its log");

    const refilled = await loadedPool(rt, 2);
    assert.ok(!refilled.includes(pid), "the claimed daemon left the pool");
    assert.equal(refilled.filter((p) => !warm.includes(p)).length, 1, "one new warm daemon replaced it");

    await rt.stop(l.sessionId);
    assert.ok(await isGone(pid));
    assert.match(await readFile(paths.log, "utf8"), /daemon stopped/, "the claimed daemon stops on SIGTERM like a cold one");
  });

  it("replaces a warm daemon that is killed, and kills every unclaimed one on close, leaving no log behind", async () => {
    const rt = runtime(2);
    const [victim, survivor] = await loadedPool(rt, 2);
    assert.ok(victim !== undefined && survivor !== undefined);
    process.kill(victim, "SIGKILL");
    await waitUntil("the killed warm daemon is replaced", () => rt.warmPool!.loaded === 2 && !rt.warmPool!.pids().includes(victim), 60_000);
    const now = rt.warmPool!.pids();
    pids.push(...now);
    assert.ok(now.includes(survivor));

    await rt.close();
    for (const pid of now) assert.ok(await isGone(pid), `warm daemon ${pid} is gone after close`);
    assert.deepEqual(await readdir(join(dataDir, "warm")), []);
  });

  it("unclaimed warm daemons exit when their control plane is killed, so nothing can claim them later", async () => {
    const script = `
      import { ProcessRuntime } from "@raworc/control-plane";
      const rt = new ProcessRuntime({ dataDir: ${JSON.stringify(dataDir)}, warmPool: 2 });
      const timer = setInterval(() => {
        if (rt.warmPool.loaded === 2) { clearInterval(timer); console.log(JSON.stringify(rt.warmPool.pids())); }
      }, 50);
      setInterval(() => {}, 1000);
    `;
    const host = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    pids.push(host.pid!);
    const [line] = await Promise.race([
      (async () => {
        for await (const got of createInterface({ input: host.stdout })) return [got];
        return [];
      })(),
      new Promise<never>((_, reject) => host.once("exit", (code) => reject(new Error(`the control-plane process exited early (${code})`)))),
    ]);
    const warm = JSON.parse(line ?? "[]") as number[];
    pids.push(...warm);
    assert.equal(warm.length, 2);
    host.kill("SIGKILL");
    for (const pid of warm) await waitUntil(`warm daemon ${pid} exits with its control plane`, () => isGone(pid));
  });

  it("serves a whole session from a claimed warm daemon: READY, a streamed reply, pause and resume", async () => {
    const t = await startTestServer({ config: { warmPool: 1 } });
    try {
      const token = await login(t.url, "admin", t.adminPassword);
      const sessions = clientOf(SessionService, t.url, token);
      await clientOf(AgentService, t.url, token).createAgent({
        agent: {
          metadata: { namespace: "default", name: "greeter" },
          spec: { instructions: "Greet.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "Hello from warm." } }] }] } } },
        },
      });
      const ref = { namespace: "default", name: "warm-one" };
      const current = async () => (await sessions.getSession({ ref })).session!.status!;
      const daemonPid = async () => Number((await current()).runtime?.handle ?? "0");
      // A warm daemon exists before the session is created, so the start claims it rather than spawning (it waits for one still loading).
      await waitUntil("a warm daemon is started", async () => (await readdir(join(t.dataDir, "warm")).catch(() => [])).length === 1);
      const created = await sessions.createSession({ session: { metadata: ref, spec: { agents: ["greeter"] } } });
      const uid = created.session!.metadata!.uid;
      await waitUntil("READY", async () => (await current()).state === SessionState.READY, 60_000);
      const pid = await daemonPid();
      pids.push(pid);
      assert.equal((await procStrings(pid, "cmdline")).at(-1), "--await-claim", "the session runs on a claimed warm daemon");
      assert.match(await readFile(join(t.dataDir, "sessions", uid, "daemon.log"), "utf8"), /"msg":"attaching"/);

      const sent = await sessions.sendMessage({ ref, text: "hi" });
      let reply = "";
      const abort = new AbortController();
      for await (const res of sessions.watchSession({ ref, fromSeq: sent.seq }, { signal: abort.signal })) {
        if (res.message.case !== "event") continue;
        const p = res.message.value.payload;
        if (p.case === "textDelta") reply += p.value.text;
        if (p.case === "turnCompleted" || p.case === "turnFailed") break;
      }
      abort.abort();
      assert.equal(reply, "Hello from warm.");

      // A resume starts a daemon too, and takes the refilled warm one.
      await sessions.pauseSession({ ref });
      await waitUntil("PAUSED", async () => (await current()).state === SessionState.PAUSED, 60_000);
      assert.ok(await isGone(pid));
      await sessions.resumeSession({ ref });
      await waitUntil("READY again", async () => (await current()).state === SessionState.READY, 60_000);
      const resumed = await daemonPid();
      pids.push(resumed);
      assert.notEqual(resumed, pid);
      assert.equal((await procStrings(resumed, "cmdline")).at(-1), "--await-claim");
    } finally {
      await t.stop();
    }
  });
});
