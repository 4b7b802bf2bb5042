/** Starts a real control plane on port 0 with its own database and data directory, for tests. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig, ProcessRuntime, startServer, type RunningServer, type ServerConfig } from "@raworc/control-plane";
import { createTestDatabase } from "./database.js";
import { onRelease } from "./shared-resources.js";

/** A running test server and what a test needs to talk to it. */
export interface TestServer {
  /** Base URL, e.g. http://127.0.0.1:43117. */
  readonly url: string;
  /** The admin account's password. */
  readonly adminPassword: string;
  /** The server's data directory (keys, admin password file). */
  readonly dataDir: string;
  /** The database the server uses. */
  readonly databaseUrl: string;
  /** The running server. */
  server: RunningServer;
  /** Stops the server (keeping database and data directory) and starts it again on them. */
  restart(overrides?: Partial<ServerConfig>): Promise<void>;
  /** Stops the server and removes its database and data directory. */
  stop(): Promise<void>;
}

/** Options for {@link startTestServer}. */
export interface TestServerOptions {
  /** Configuration overrides (port stays 0 unless given). */
  readonly config?: Partial<ServerConfig>;
  /** Run the reconciler (default true); off for tests that play the daemon by hand. */
  readonly reconcile?: boolean;
}

/** Starts a control plane on a fresh database, with a known admin password and silent logs. */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), "raworc-test-"));
  const adminPassword = randomBytes(12).toString("base64url");
  const base = loadServerConfig(
    { host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" },
    // No warm pool unless a test asks for one (config.warmPool): most tests start few sessions, on shared cores.
    { RAWORC_DATABASE_URL: database.url, RAWORC_ADMIN_PASSWORD: adminPassword, RAWORC_WARM_POOL: "0" },
  );
  const configFor = (overrides: Partial<ServerConfig> = {}): ServerConfig => ({ ...base, ...options.config, ...overrides });
  const serverOptions = { shutdownGraceMs: 1000, reconcile: options.reconcile ?? true };
  const server = await startServer(configFor(), serverOptions);
  let stopped: Promise<void> | undefined;
  const test: TestServer = {
    get url() {
      return test.server.url;
    },
    adminPassword,
    dataDir,
    databaseUrl: database.url,
    server,
    async restart(overrides) {
      await test.server.stop();
      test.server = await startServer(configFor({ port: test.server.port, ...overrides }), serverOptions);
    },
    stop() {
      stopped ??= stopAll();
      return stopped;
    },
  };
  async function stopAll(): Promise<void> {
    await test.server.stop();
    // Session daemons outlive a stopped control plane by design (the next one adopts them);
    // a test's must not outlive the test.
    const runtime = new ProcessRuntime({ dataDir });
    for (const leftover of await runtime.list()) await runtime.destroy(leftover.sessionId);
    await runtime.close();
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
  // A suite that forgets to stop its server (or fails in its hooks) still leaves nothing running.
  onRelease(() => test.stop().catch(() => undefined));
  return test;
}
