/** The control plane under test: embedded PostgreSQL, process runtime, silent logs, and helpers to drive sessions. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { loadServerConfig, ProcessRuntime, startServer, type RunningServer } from "@raworc/control-plane";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";

/** A running control plane and an authenticated client of its sessions. */
export interface Harness {
  readonly server: RunningServer;
  readonly url: string;
  readonly token: string;
  readonly dataDir: string;
  readonly sessions: Client<typeof SessionService>;
  /** Creates a session of `agent` and resolves once it is READY. */
  createReady(name: string, agent: string): Promise<Session>;
  /** Resolves once the named session reaches `state` (watching its events). */
  waitState(name: string, state: SessionState): Promise<void>;
  /** Resolves once the turn answering the message stored at `fromSeq` has ended. */
  waitTurnEnd(name: string, fromSeq: bigint): Promise<void>;
  /** Deletes the named session and waits until it is TERMINATED. */
  remove(name: string): Promise<void>;
  /** Stops the server, every daemon it started, and removes the data directory. */
  close(): Promise<void>;
}

/** The origin the harness allows by CORS (the web figures call from it). */
export const benchOrigin = "http://bench.example";

/** The scripted agents the figures use: one-word replies and a firehose of `events` text deltas. */
export const agents = { ticker: "ticker", firehose: "firehose" } as const;

/** Starts the control plane on a fresh embedded database and creates the bench agents; no warm pool unless `warmPool` says so. */
export async function startHarness(eventsPerTurn: number, warmPool = 0): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), "raworc-bench-"));
  const adminPassword = randomBytes(12).toString("base64url");
  const config = loadServerConfig(
    { host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" },
    { RAWORC_ADMIN_PASSWORD: adminPassword, RAWORC_SESSION_IDLE_TIMEOUT_SECONDS: "0", RAWORC_WARM_POOL: String(warmPool), RAWORC_CORS_ORIGINS: benchOrigin, RAWORC_WEBHOOKS_ALLOW_PRIVATE: "1" },
  );
  const server = await startServer(config, { shutdownGraceMs: 1000 });
  const token = await login(server.url, "admin", adminPassword);
  const sessions = clientOf(SessionService, server.url, token);
  const agentClient = clientOf(AgentService, server.url, token);
  const text = (value: string) => ({ step: { case: "text" as const, value } });
  await agentClient.createAgent({
    agent: { metadata: { namespace: "default", name: agents.ticker }, spec: { instructions: "Tick.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [text("tick")] }] } } } },
  });
  await agentClient.createAgent({
    agent: {
      metadata: { namespace: "default", name: agents.firehose },
      spec: { instructions: "Stream.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: Array.from({ length: eventsPerTurn }, (_, i) => text(`chunk ${i} `)) }] } } },
    },
  });
  const ref = (name: string) => ({ namespace: "default", name });

  async function waitState(name: string, state: SessionState): Promise<void> {
    const abort = new AbortController();
    try {
      for await (const res of sessions.watchSession({ ref: ref(name), fromSeq: 0n }, { signal: abort.signal })) {
        if (res.message.case === "event" && res.message.value.payload.case === "stateChanged" && res.message.value.payload.value.to === state) return;
      }
      throw new Error(`${name} never reached ${SessionState[state]}`);
    } finally {
      abort.abort();
    }
  }

  async function waitTurnEnd(name: string, fromSeq: bigint): Promise<void> {
    const abort = new AbortController();
    try {
      for await (const res of sessions.watchSession({ ref: ref(name), fromSeq }, { signal: abort.signal })) {
        const kind = res.message.case === "event" ? res.message.value.payload.case : undefined;
        if (kind === "turnCompleted" || kind === "turnFailed" || kind === "turnCancelled") return;
      }
      throw new Error(`${name}: the turn never ended`);
    } finally {
      abort.abort();
    }
  }

  return {
    server,
    url: server.url,
    token,
    dataDir,
    sessions,
    waitState,
    waitTurnEnd,
    async createReady(name, agent) {
      await sessions.createSession({ session: { metadata: ref(name), spec: { agents: [agent] } } });
      await waitState(name, SessionState.READY);
      const got = await sessions.getSession({ ref: ref(name) });
      return got.session!;
    },
    async remove(name) {
      await sessions.deleteSession({ ref: ref(name) });
      await waitState(name, SessionState.TERMINATED);
    },
    async close() {
      await server.stop();
      // Daemons outlive a stopped control plane by design; the bench's must not outlive the bench.
      const runtime = new ProcessRuntime({ dataDir });
      for (const leftover of await runtime.list()) await runtime.destroy(leftover.sessionId);
      await runtime.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
