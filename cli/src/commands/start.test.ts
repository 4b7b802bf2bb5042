import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { runRaworc, spawnRaworc } from "../testing/raworc-process.js";

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

  it("refuses a bad flag with a one-line error and exit code 1", async () => {
    const res = await runRaworc(["start", "--port", "99999"]);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, "raworc: option '--port <port>' argument '99999' is invalid. must be a number from 0 to 65535\n");
  });
});
