/** A control plane in a child process of its own (the memory figure measures that process alone, without the bench's clients). */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase } from "@raworc/test-support/database.js";
import { ProcessRuntime } from "@raworc/control-plane";

/** A child control plane with a ticker agent and a session client. */
export interface ChildControlPlane {
  readonly process: ControlPlaneProcess;
  readonly dataDir: string;
  /** The admin's token. */
  readonly token: string;
  readonly sessions: Client<typeof SessionService>;
  /** The child's resident set: the median of five readings 200 ms apart (it cannot be made to collect garbage first). */
  rss(): Promise<number>;
  /** Stops it, its daemons and its database. */
  close(): Promise<void>;
}

/** RSS in bytes of one process. */
export async function processRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? "0") * 1024;
}

/** Starts a control plane as `raworc start` runs it (TypeScript through tsx), with `env` on top, on a database of its own. */
export async function startChildControlPlane(env: Readonly<Record<string, string>>): Promise<ChildControlPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), "raworc-bench-child-"));
  const database = await createTestDatabase();
  const adminPassword = randomBytes(12).toString("base64url");
  const child = await startControlPlaneProcess({ dataDir, databaseUrl: database.url, adminPassword, env: { RAWORC_SESSION_IDLE_TIMEOUT_SECONDS: "0", RAWORC_WARM_POOL: "0", ...env } });
  const token = await login(child.url, "admin", adminPassword);
  await clientOf(AgentService, child.url, token).createAgent({
    agent: { metadata: { namespace: "default", name: "ticker" }, spec: { instructions: "Tick.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "tick" } }] }] } } } },
  });
  return {
    process: child,
    dataDir,
    token,
    sessions: clientOf(SessionService, child.url, token),
    async rss() {
      const readings: number[] = [];
      for (let i = 0; i < 5; i++) {
        readings.push(await processRss(child.pid));
        await sleep(200);
      }
      return readings.sort((a, b) => a - b)[2]!;
    },
    async close() {
      await child.stop();
      const runtime = new ProcessRuntime({ dataDir });
      for (const leftover of await runtime.list()) await runtime.destroy(leftover.sessionId);
      await runtime.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
