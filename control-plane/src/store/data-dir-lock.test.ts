import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { createLogger } from "../logger.js";
import { isProcessRunning, LOCK_FILE } from "./data-dir-lock.js";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "./embedded-postgres.js";

interface RaworcProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly adminPassword: string;
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function postmasterPid(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8")).split("\n")[0]);
}

describe("the data directory lock (real raworc processes)", function () {
  this.timeout(180_000);
  let root: string;
  const children: ChildProcess[] = [];
  const dataDirs: string[] = [];
  const started: EmbeddedPostgres[] = [];

  async function newDataDir(): Promise<string> {
    const dir = await mkdtemp(join(root, "data-"));
    dataDirs.push(dir);
    return dir;
  }

  /** Runs `raworc start` as `npm start` does, on the embedded database, in a process of its own. */
  async function startRaworc(dataDir: string): Promise<RaworcProcess> {
    const adminPassword = "admin-password-for-crash-tests";
    const env: NodeJS.ProcessEnv = { ...process.env, RAWORC_DATA_DIR: dataDir, RAWORC_ADMIN_PASSWORD: adminPassword, RAWORC_LOG_LEVEL: "silent" };
    delete env.RAWORC_DATABASE_URL;
    const script = `import("@raworc/control-plane").then((m) => m.runServer({ host: "127.0.0.1", port: 0 })).then((code) => process.exit(code))`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { env, stdio: ["ignore", "ignore", "pipe"] });
    children.push(child);
    const output: string[] = [];
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stderr }).on("line", (line) => {
        output.push(line);
        const match = /listening on (\S+)/.exec(line);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code, signal) => reject(new Error(`raworc exited (${signal ?? code}) before serving: ${output.join(" | ")}`)));
    });
    return { child, url, adminPassword };
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "raworc-lock-test-"));
    // When the tests run as root, the server's own account must be able to pass through.
    await chmod(root, 0o711);
  });
  afterEach(async () => {
    for (const server of started.splice(0)) await server.stop();
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    // A failed test must not leave a server that a killed child started.
    for (const dir of dataDirs.splice(0)) {
      const pid = await postmasterPid(dir).catch(() => 0);
      if (pid && (await isProcessRunning(pid))) process.kill(pid, "SIGQUIT");
    }
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it("starts after the raworc that ran the database was killed with SIGKILL, stopping the server it left, with data intact", async () => {
    const dataDir = await newDataDir();
    const raworc = await startRaworc(dataDir);
    const token = await login(raworc.url, "admin", raworc.adminPassword);
    await clientOf(ServiceAccountService, raworc.url, token).createServiceAccount({
      serviceAccount: { metadata: { name: "survivor" }, active: true },
      password: "survivor-password",
    });
    assert.equal((await readFile(join(dataDir, LOCK_FILE), "utf8")).split("\n")[0], String(raworc.child.pid));
    const orphan = await postmasterPid(dataDir);

    raworc.child.kill("SIGKILL");
    await once(raworc.child, "exit");
    assert.ok(await isProcessRunning(orphan), "the database outlives a raworc killed with SIGKILL");

    const lines: string[] = [];
    const logger = createLogger("warn", { write: (line: string) => void lines.push(line) });
    const server = await startEmbeddedPostgres({ dataDir, logger });
    started.push(server);

    assert.deepEqual(await query(server.url, "SELECT name FROM service_accounts WHERE name = $1", ["survivor"]), [{ name: "survivor" }]);
    assert.equal(await isProcessRunning(orphan), false);
    assert.notEqual(await postmasterPid(dataDir), orphan);
    const warnings = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.equal(warnings.length, 1, lines.join(""));
    assert.match(warnings[0]!, new RegExp(`stopping the PostgreSQL server \\(pid ${orphan}\\) that a raworc which ended without stopping it left running`));
    assert.equal((await readFile(join(dataDir, LOCK_FILE), "utf8")).split("\n")[0], String(process.pid));
  });

  it("refuses a data directory that a live raworc uses, with one line naming its pid, and leaves that raworc serving", async () => {
    const dataDir = await newDataDir();
    const raworc = await startRaworc(dataDir);

    const error = await startEmbeddedPostgres({ dataDir }).then(() => assert.fail("the start must be refused"), (err: unknown) => err as Error);
    assert.match(error.message, new RegExp(`^another raworc \\(pid ${raworc.child.pid}\\) is using the data directory ${dataDir}; stop it first`));
    assert.doesNotMatch(error.message, /\n/);
    await login(raworc.url, "admin", raworc.adminPassword);

    raworc.child.kill("SIGTERM");
    const [code] = (await once(raworc.child, "exit")) as [number | null];
    assert.equal(code, 0);
    await assert.rejects(readFile(join(dataDir, LOCK_FILE)), { code: "ENOENT" }, "a clean stop removes the lock");
  });

  it("takes over a lock whose pid now belongs to another process", async () => {
    const dataDir = await newDataDir();
    await (await startEmbeddedPostgres({ dataDir })).stop();
    const unrelated = spawn("sleep", ["60"]);
    children.push(unrelated);
    // The same pid with another start time is what a reused pid looks like after a container restart.
    await writeFile(join(dataDir, LOCK_FILE), `${unrelated.pid}\n1\n`);

    const server = await startEmbeddedPostgres({ dataDir });
    started.push(server);
    assert.deepEqual(await query(server.url, "SELECT 1 AS one"), [{ one: 1 }]);
    assert.equal((await readFile(join(dataDir, LOCK_FILE), "utf8")).split("\n")[0], String(process.pid));
  });

  it("listens on a given port, and on the same one after a restart", async () => {
    const dataDir = await newDataDir();
    const probe = await startEmbeddedPostgres({ dataDir });
    const port = Number(new URL(probe.url).port);
    await probe.stop();

    for (let i = 0; i < 2; i++) {
      const server = await startEmbeddedPostgres({ dataDir, port });
      assert.equal(new URL(server.url).port, String(port));
      assert.deepEqual(await query(server.url, "SELECT 1 AS one"), [{ one: 1 }]);
      await server.stop();
    }
  });
});
