import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFile, chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createTestDatabase } from "@raworc/test-support/database.js";
import { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from "./embedded-postgres.js";

async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

function postmasterPid(dataDir: string): Promise<number> {
  return readFile(join(dataDir, "postgres", "postmaster.pid"), "utf8").then((text) => Number(text.split("\n")[0]));
}

describe("startEmbeddedPostgres (real PostgreSQL server)", function () {
  this.timeout(120_000);
  let root: string;
  const started: EmbeddedPostgres[] = [];
  const newDataDir = () => mkdtemp(join(root, "data-"));
  async function start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const server = await startEmbeddedPostgres(options);
    started.push(server);
    return server;
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "raworc-embedded-pg-test-"));
    // mkdtemp makes it 0700; when the tests run as root, the server's own account must be able to pass through.
    await chmod(root, 0o711);
  });
  afterEach(async () => {
    for (const server of started.splice(0)) await server.stop();
  });
  after(async () => rm(root, { recursive: true, force: true }));

  it("starts a server on 127.0.0.1 that answers queries in the raworc database, and stops it (twice is fine)", async () => {
    const server = await start({ dataDir: await newDataDir() });
    const url = new URL(server.url);
    assert.equal(url.hostname, "127.0.0.1");
    assert.deepEqual(await query(server.url, "SELECT current_database() AS db, current_user AS role"), [{ db: "raworc", role: "raworc" }]);

    await server.stop();
    await server.stop();
    await assert.rejects(query(server.url, "SELECT 1"), /ECONNREFUSED/);
  });

  it("keeps data written before a restart on the same data directory", async () => {
    const dataDir = await newDataDir();
    const first = await start({ dataDir });
    await query(first.url, "CREATE TABLE notes (body text)");
    await query(first.url, "INSERT INTO notes VALUES ($1)", ["kept"]);
    await first.stop();

    const second = await start({ dataDir });
    assert.deepEqual(await query(second.url, "SELECT body FROM notes"), [{ body: "kept" }]);
  });

  it("keeps a random password per data directory in a 0600 file, and refuses other passwords", async () => {
    const [dirA, dirB] = [await newDataDir(), await newDataDir()];
    const [a, b] = [await start({ dataDir: dirA }), await start({ dataDir: dirB })];
    const passwordA = (await readFile(join(dirA, "postgres.password"), "utf8")).trim();
    const passwordB = (await readFile(join(dirB, "postgres.password"), "utf8")).trim();

    assert.equal((await stat(join(dirA, "postgres.password"))).mode & 0o777, 0o600);
    assert.ok(passwordA.length >= 24);
    assert.notEqual(passwordA, passwordB);
    assert.equal(decodeURIComponent(new URL(a.url).password), passwordA);
    const wrong = new URL(b.url);
    wrong.password = "password";
    await assert.rejects(query(wrong.toString(), "SELECT 1"), /password authentication failed/);
  });

  it("starts again after its server was killed with SIGKILL, keeping committed data", async () => {
    const dataDir = await newDataDir();
    let reportExit!: (error: Error) => void;
    const unexpectedExit = new Promise<Error>((resolve) => (reportExit = resolve));
    const first = await start({ dataDir, onUnexpectedExit: reportExit });
    await query(first.url, "CREATE TABLE notes (body text)");
    await query(first.url, "INSERT INTO notes VALUES ('committed')");

    process.kill(await postmasterPid(dataDir), "SIGKILL");
    const error = await unexpectedExit;
    assert.match(error.message, /exited unexpectedly \(signal SIGKILL\)/);
    assert.doesNotMatch(error.message, /\n/);
    await stat(join(dataDir, "postgres", "postmaster.pid")); // the stale pid file is still there
    await first.stop();

    const second = await start({ dataDir });
    assert.deepEqual(await query(second.url, "SELECT body FROM notes"), [{ body: "committed" }]);
  });

  it("ignores a postmaster.pid whose pid now belongs to another process", async () => {
    const dataDir = await newDataDir();
    await (await start({ dataDir })).stop();
    // Not this process: PostgreSQL itself already ignores its parent's pid.
    const unrelated = spawn("sleep", ["60"]);
    try {
      await writeFile(join(dataDir, "postgres", "postmaster.pid"), `${unrelated.pid}\n${join(dataDir, "postgres")}\n`);
      const server = await start({ dataDir });
      assert.deepEqual(await query(server.url, "SELECT 1 AS one"), [{ one: 1 }]);
    } finally {
      unrelated.kill();
    }
  });

  it("refuses a data directory whose server this process still runs", async () => {
    const dataDir = await newDataDir();
    const running = await start({ dataDir });

    await assert.rejects(startEmbeddedPostgres({ dataDir }), /already in use by this raworc process/);
    assert.deepEqual(await query(running.url, "SELECT 1 AS one"), [{ one: 1 }]);
  });

  it("fails to start with a one-line error that carries the server's log", async () => {
    const dataDir = await newDataDir();
    await (await start({ dataDir })).stop();
    await appendFile(join(dataDir, "postgres", "postgresql.conf"), "\nthis is not a setting\n");

    const error = await startEmbeddedPostgres({ dataDir }).then(() => assert.fail("expected the start to fail"), (err: unknown) => err as Error);
    assert.match(error.message, /failed to start \(exit code 1\): .*syntax error in file/);
    assert.doesNotMatch(error.message, /\n/);
  });

  it("stops a start that is aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    await assert.rejects(startEmbeddedPostgres({ dataDir: await newDataDir(), signal: controller.signal }), /shutting down/);
  });
});

describe("createTestDatabase (test-support)", function () {
  this.timeout(120_000);

  it("gives each caller its own empty database, and drops it", async () => {
    const [one, two] = [await createTestDatabase(), await createTestDatabase()];
    assert.notEqual(one.url, two.url);
    await query(one.url, "CREATE TABLE private_notes (body text)");
    assert.deepEqual(await query(two.url, "SELECT to_regclass('private_notes') AS found"), [{ found: null }]);

    await Promise.all([one.drop(), two.drop()]);
    await one.drop();
    await assert.rejects(query(one.url, "SELECT 1"), /does not exist/);
  });
});
