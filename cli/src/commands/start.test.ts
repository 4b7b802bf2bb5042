import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { isGone, waitUntil } from "@raworc/test-support/processes/process-checks.js";
import { runRaworc, spawnRaworc } from "../testing/raworc-process.js";

const exampleAgent = fileURLToPath(new URL("../../../docs/examples/scripted-agent.yaml", import.meta.url));

/** A port that was free a moment ago: the CLI test needs to know it before the server starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function waitForHealthy(url: string, exited: () => boolean, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (exited()) throw new Error("raworc start exited before serving");
    const ok = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url}/healthz did not answer 200 in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("raworc start (end to end)", function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let dir: string;
  before(async () => {
    database = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), "raworc-cli-start-"));
  });
  after(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("serves until SIGTERM, accepts a login with the generated admin password, and exits 0", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dataDir = join(dir, "data");
    const env = { RAWORC_DATABASE_URL: database.url, RAWORC_DATA_DIR: dataDir, RAWORC_CONFIG: join(dir, "config.yaml") };
    const child = spawnRaworc(["start", "--port", String(port), "--log-level", "warn"], { env });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      await waitForHealthy(url, () => child.exitCode !== null, 90_000);
      assert.match(stderr, new RegExp(`listening on ${url}`));
      const password = (await readFile(join(dataDir, "admin-password"), "utf8")).trim();
      const login = await runRaworc(["login", "--server", url, "--username", "admin", "--password-stdin"], { env, input: password });
      assert.equal(login.code, 0, login.stderr);
      const whoami = await runRaworc(["whoami", "-o", "json"], { env });
      assert.equal((JSON.parse(whoami.stdout) as { principal: { name: string } }).principal.name, "admin");
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exit, 0, stderr);
  });

  it("on stop, says what happens to running sessions: by default they keep running and the next start adopts them; --stop-sessions-on-exit pauses them first", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dataDir = join(dir, "data-sessions");
    // Its own database: its admin password is written to its own data directory.
    const own = await createTestDatabase();
    const env = { RAWORC_DATABASE_URL: own.url, RAWORC_DATA_DIR: dataDir, RAWORC_CONFIG: join(dir, "config-sessions.yaml") };
    const raworc = (args: string[], input?: string) => runRaworc(args, { env, input });
    /** One `raworc start`: serves until stopped, then resolves to its exit code and stderr. */
    const serve = async (...flags: string[]) => {
      const child = spawnRaworc(["start", "--port", String(port), "--log-level", "warn", ...flags], { env });
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
      child.stdout?.resume();
      const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await waitForHealthy(url, () => child.exitCode !== null, 90_000);
      return {
        stop: async () => {
          child.kill("SIGTERM");
          return { code: await exit, stderr };
        },
        kill: async () => {
          child.kill("SIGKILL");
          await exit;
        },
      };
    };
    const session = async () => JSON.parse((await raworc(["sessions", "get", "kept", "-o", "json"])).stdout) as { status: { state: string; runtime: { handle: string }; transitions: { to: string; reason: string }[] } };
    const stateIs = async (state: string) => waitUntil(`session kept is ${state}`, async () => (await session()).status.state === state, 60_000);
    const reply = "Hello! I am a scripted agent, replying without a model.\n";

    let daemon: number | undefined;
    let server: Awaited<ReturnType<typeof serve>> | undefined;
    try {
      server = await serve();
      const password = (await readFile(join(dataDir, "admin-password"), "utf8")).trim();
      assert.equal((await raworc(["login", "--server", url, "--username", "admin", "--password-stdin"], password)).code, 0);
      assert.equal((await raworc(["agents", "create", "-f", exampleAgent])).code, 0);
      assert.equal((await raworc(["sessions", "create", "--agent", "greeter", "--name", "kept"])).code, 0);
      await stateIs("SESSION_STATE_READY");
      daemon = Number((await session()).status.runtime.handle);
      assert.ok(daemon > 0);

      const left = await server.stop();
      assert.equal(left.code, 0, left.stderr);
      assert.match(left.stderr, /raworc: stopping \(SIGTERM\); the 1 running session keeps running: the next `raworc start` adopts it \(to pause sessions with the server: raworc start --stop-sessions-on-exit\)\n/);
      assert.equal(await isGone(daemon), false, "the daemon runs on without the server");

      server = await serve("--stop-sessions-on-exit");
      const sent = await raworc(["sessions", "send", "kept", "still there?"]);
      assert.deepEqual([sent.code, sent.stdout], [0, reply], sent.stderr);
      assert.equal((await session()).status.runtime.handle, String(daemon), "the same daemon, adopted, answered");

      const paused = await server.stop();
      assert.equal(paused.code, 0, paused.stderr);
      assert.match(paused.stderr, /raworc: stopping \(SIGTERM\); pausing the 1 running session first \(--stop-sessions-on-exit\): a message or `raworc sessions resume` starts each again\n/);
      assert.equal(await isGone(daemon), true, "the daemon stopped with the server");

      server = await serve();
      const after = await session();
      assert.equal(after.status.state, "SESSION_STATE_PAUSED", "a paused session stays paused across the restart");
      assert.deepEqual(after.status.transitions.slice(-2).map((t) => [t.to, t.reason]), [["SESSION_STATE_PAUSING", "ServerStopped"], ["SESSION_STATE_PAUSED", "Paused"]]);
      const resumed = await raworc(["sessions", "send", "kept", "back?"]);
      assert.deepEqual([resumed.code, resumed.stdout], [0, reply], "a message starts it again");
      daemon = Number((await session()).status.runtime.handle);
      assert.equal((await raworc(["sessions", "delete", "kept"])).code, 0);
      await waitUntil("the deleted session's daemon is gone", () => isGone(daemon!), 30_000);
      const stopped = await server.stop();
      assert.match(stopped.stderr, /raworc: stopping \(SIGTERM\); no session is running\n/);
    } finally {
      await server?.kill();
      // A failure above must not leave a daemon behind (it leads its own process group).
      if (daemon && !(await isGone(daemon))) process.kill(-daemon, "SIGKILL");
      await own.drop();
    }
  });

  it("refuses a bad flag with a one-line error and exit code 1", async () => {
    const res = await runRaworc(["start", "--port", "99999"]);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, "raworc: option '--port <port>' argument '99999' is invalid. must be a number from 0 to 65535\n");
  });
});
