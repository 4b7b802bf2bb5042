/**
 * The stage of a fault test: a control plane in a child process (so it can be killed and its
 * memory read) on a database and data directory of its own, a logged-in SessionService client,
 * and the streaming agent the busy sessions run. Restartable in place (same port, database and
 * data directory), as an operator restarts `raworc start`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "../clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "../control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "../database.js";
import { destroyLeftovers, streamingAgent } from "../fault-support.js";

/** The agent every busy session runs: {@link STREAM_CHUNKS} chunks, {@link STREAM_DELAY_MS} apart. */
export const STREAMER = "streamer";
/** Chunks of the streamer's reply. */
export const STREAM_CHUNKS = 30;
/** Pause between two chunks: a turn lasts a few seconds, long enough to break things in it. */
export const STREAM_DELAY_MS = 100;

/** Options of {@link startFaultPlane}. */
export interface FaultPlaneOptions {
  /** A database to use instead of a fresh one on the shared test server (the caller owns it). */
  readonly databaseUrl?: string;
  /** More RAWORC_* settings of the control plane. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running stage; close() removes everything it made. */
export interface FaultPlane {
  /** The base URL (unchanged across restarts). */
  readonly url: string;
  /** The data directory (session volumes under sessions/). */
  readonly dataDir: string;
  /** The database URL. */
  readonly databaseUrl: string;
  /** The running control plane. */
  readonly process: ControlPlaneProcess;
  /** An admin's SessionService client. */
  readonly sessions: Client<typeof SessionService>;
  /** An admin's bearer token. */
  readonly token: string;
  /** Starts a new control plane on the same port, database and data directory (after a kill or stop). */
  restart(): Promise<void>;
  /** Stops the control plane and its daemons, removes the data directory and the database it created. */
  close(): Promise<void>;
}

/** Starts a control plane in a child process with the streaming agent created. */
export async function startFaultPlane(options: FaultPlaneOptions = {}): Promise<FaultPlane> {
  const db: TestDatabase | undefined = options.databaseUrl ? undefined : await createTestDatabase();
  const databaseUrl = options.databaseUrl ?? db!.url;
  const dataDir = await mkdtemp(join(tmpdir(), "raworc-faults-"));
  const adminPassword = randomBytes(12).toString("base64url");
  const spawnOptions = { dataDir, databaseUrl, adminPassword, env: options.env };
  let current: ControlPlaneProcess;
  try {
    current = await startControlPlaneProcess(spawnOptions);
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    await db?.drop();
    throw error;
  }
  const url = current.url;
  const token = await login(url, "admin", adminPassword);
  await clientOf(AgentService, url, token).createAgent({ agent: streamingAgent(STREAMER, STREAM_CHUNKS, STREAM_DELAY_MS) });
  return {
    url,
    dataDir,
    databaseUrl,
    get process() {
      return current;
    },
    sessions: clientOf(SessionService, url, token),
    token,
    async restart() {
      await current.stop();
      current = await startControlPlaneProcess({ ...spawnOptions, port: current.port });
    },
    async close() {
      await current.stop();
      // Daemons outlive control planes by design; a test's must not outlive the test.
      await destroyLeftovers(dataDir);
      await rm(dataDir, { recursive: true, force: true });
      await db?.drop();
    },
  };
}
