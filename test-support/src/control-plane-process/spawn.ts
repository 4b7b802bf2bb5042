/** Starting and killing control planes that run as child processes (main.ts), on a given database, data directory and port. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const URL_LINE = /^RAWORC_TEST_SERVER_URL (\S+)$/m;

/** Where and how the child control plane runs. */
export interface ControlPlaneProcessOptions {
  /** The data directory (keys, session volumes); shared by restarts and replicas. */
  readonly dataDir: string;
  /** The PostgreSQL database. */
  readonly databaseUrl: string;
  /** The admin's password on first start. */
  readonly adminPassword: string;
  /** 0 (the default) picks a free port; give the previous one's to restart in place. */
  readonly port?: number;
  /** More RAWORC_* settings, e.g. RAWORC_DAEMON_HEARTBEAT_SECONDS. */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for it to serve; default 30 s. */
  readonly startTimeoutMs?: number;
}

/** A control plane running in a child process. */
export interface ControlPlaneProcess {
  /** Base URL, e.g. http://127.0.0.1:43117. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** The child's pid. */
  readonly pid: number;
  /** What it wrote on stdout and stderr so far (warnings and errors only), for failure messages. */
  output(): string;
  /** Sends `signal` (SIGKILL: no shutdown at all) and waits until the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Stops it gracefully (SIGTERM) and waits; SIGKILL after 15 s. Safe to call after kill. */
  stop(): Promise<void>;
}

/** Starts a control plane as a child process and resolves once it serves. */
export async function startControlPlaneProcess(options: ControlPlaneProcessOptions): Promise<ControlPlaneProcess> {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", MAIN], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      RAWORC_HOST: "127.0.0.1",
      RAWORC_PORT: String(options.port ?? 0),
      RAWORC_DATA_DIR: options.dataDir,
      RAWORC_DATABASE_URL: options.databaseUrl,
      RAWORC_ADMIN_PASSWORD: options.adminPassword,
      RAWORC_LOG_LEVEL: "warn",
      // As in startTestServer: no warm pool unless the test asks for one.
      RAWORC_WARM_POOL: "0",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = once(child, "exit").then(() => undefined);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the control plane did not serve within ${options.startTimeoutMs ?? 30_000} ms:\n${output}`)), options.startTimeoutMs ?? 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    const take = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const found = URL_LINE.exec(output);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    };
    child.stdout?.on("data", take);
    child.stderr?.on("data", take);
    child.once("exit", (code, signal) => fail(new Error(`the control plane exited (${signal ?? code}) before it served:\n${output}`)));
  });
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    url,
    port: Number(new URL(url).port),
    pid: child.pid!,
    output: () => output,
    async kill(signal) {
      if (running()) child.kill(signal);
      await exited;
    },
    async stop() {
      if (!running()) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
