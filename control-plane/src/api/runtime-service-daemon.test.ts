import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { WorkItemSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { issueDaemonToken } from "../auth/daemon-auth.js";
import { importKeySet, loadOrCreateKeySet } from "../auth/keyring.js";
import { readEvents, transitionLocked } from "../sessions/event-log.js";
import { SessionStore } from "../sessions/session-store.js";
import { AgentStore } from "../store/agents.js";

const daemonBin = join(dirname(fileURLToPath(import.meta.url)), "../../../agent-runtime/bin/raworc-agent.js");

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("RuntimeService.Attach with the real raworc-agent daemon (child process)", function () {
  this.timeout(60_000);
  let server: TestServer;
  let workspace: string;
  let child: ChildProcess | undefined;

  before(async () => {
    server = await startTestServer();
    workspace = await mkdtemp(join(tmpdir(), "raworc-attach-daemon-"));
  });
  after(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await server?.stop();
    await rm(workspace, { recursive: true, force: true });
  });

  it("attaches, becomes READY, runs a turn for a work item and stores its reply, then shuts down on pause", async () => {
    const orm = server.server.orm;
    const sessions = new SessionStore(orm);
    const scripted = { turns: [{ steps: [{ step: { case: "text" as const, value: "hello from the script" } }] }] };
    await new AgentStore(orm).create(
      { namespace: "default", name: "echo" },
      { spec: create(AgentSpecSchema, { model: { provider: ModelProvider.SCRIPTED, scripted } }), labels: {}, annotations: {} },
    );
    const session = await sessions.create({ namespace: "default", name: "", spec: { agents: ["echo"] }, labels: {}, annotations: {}, creator: {}, runtime: "process" });
    await sessions.withLocked(session.id, (em, row) => transitionLocked(em, row, "starting", "Scheduled"));
    const keyring = await importKeySet(await loadOrCreateKeySet(join(server.dataDir, "keys", "jwks.json")));
    const { token } = await issueDaemonToken({ keyring, issuer: "raworc" }, session);

    child = spawn(process.execPath, [daemonBin, "--control-plane", server.url, "--session-id", session.id, "--workspace", workspace], {
      env: { ...process.env, RAWORC_SESSION_TOKEN: token, RAWORC_LOG_LEVEL: "warn" },
      stdio: ["ignore", "inherit", "inherit"],
    });
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));

    const ready = await eventually(() => sessions.findById(session.id), (r) => r?.state === "ready");
    assert.equal(ready?.state, "ready");

    await sessions.withLocked(session.id, (em, row) =>
      sessions.enqueueWork(em, row, create(WorkItemSchema, { item: { case: "userMessage", value: { messageId: randomUUID(), text: "hi" } } })),
    );
    const kinds = async () => (await readEvents(orm.em.fork(), session.id, 0n, 1000)).map((e) => e.payload.case);
    const seen = await eventually(kinds, (k) => k.includes("turnCompleted"));
    assert.ok(seen.includes("turnStarted") && seen.includes("textDelta") && seen.includes("turnCompleted"), seen.join(","));
    const reply = (await readEvents(orm.em.fork(), session.id, 0n, 1000)).flatMap((e) => (e.payload.case === "textDelta" ? [e.payload.value.text] : [])).join("");
    assert.equal(reply, "hello from the script");
    const daemonSeqs = await orm.em.fork().execute<{ n: string; d: string }[]>(
      `select count(*) as n, count(distinct daemon_seq) as d from session_events where session_id = ? and daemon_seq is not null`,
      [session.id],
    );
    assert.equal(daemonSeqs[0]?.n, daemonSeqs[0]?.d, "each daemon event stored once");
    assert.equal((await sessions.findById(session.id))?.state, "ready", "back to READY after the turn");

    await sessions.withLocked(session.id, (em, row) => sessions.setDesired(em, row, "paused"));
    assert.equal(await exited, 0, "the daemon exits cleanly after Shutdown");
  });
});
