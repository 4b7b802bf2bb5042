import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

/** Polls until `check` passes or `ms` elapse (bounded waiting, not a timing assertion). */
async function eventually<T>(what: string, fn: () => Promise<T>, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await fn();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} did not happen; last seen: ${JSON.stringify(last, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a session's life with the process runtime (real server, real daemons, real PostgreSQL)", function () {
  this.timeout(180_000);
  let t: TestServer;
  let sessions: Client<typeof SessionService>;

  before(async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    sessions = clientOf(SessionService, t.url, token);
    await clientOf(AgentService, t.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "greeter" },
        spec: {
          instructions: "Greet.",
          model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "Hello, " } }, { step: { case: "text", value: "world." } }] }] } },
        },
      },
    });
  });
  after(async () => t?.stop());

  const get = (name: string) => sessions.getSession({ ref: { namespace: "default", name } }).then((r) => r.session!);
  const stateOf = (s: Session) => s.status?.state;
  const workspace = (s: Session) => join(t.dataDir, "sessions", s.metadata!.uid, "workspace");

  /** Sends a message and collects the streamed reply of its turn from a watch. */
  async function converse(name: string, text: string): Promise<string> {
    const sent = await sessions.sendMessage({ ref: { namespace: "default", name }, text });
    const abort = new AbortController();
    let reply = "";
    for await (const res of sessions.watchSession({ ref: { namespace: "default", name }, fromSeq: sent.seq }, { signal: abort.signal })) {
      if (res.message.case !== "event") continue;
      const p = res.message.value.payload;
      if (p.case === "textDelta") reply += p.value.text;
      if (p.case === "turnCompleted" || p.case === "turnFailed") {
        abort.abort();
        break;
      }
    }
    return reply;
  }

  it("creates, streams, pauses, resumes, remixes and deletes, keeping files and conversation", async () => {
    await sessions.createSession({ session: { metadata: { namespace: "default", name: "first" }, spec: { agents: ["greeter"] } } });
    let first = await eventually("READY", () => get("first"), (s) => stateOf(s) === SessionState.READY);
    assert.equal(await converse("first", "hi"), "Hello, world.");

    // What the agent leaves in its workspace (tools arrive with the next issue; the test writes it).
    await writeFile(join(workspace(first), "notes.txt"), "remember me\n");
    const pid = Number(first.status?.runtime?.handle ?? "0");

    await sessions.pauseSession({ ref: { namespace: "default", name: "first" } });
    await eventually("PAUSED", () => get("first"), (s) => stateOf(s) === SessionState.PAUSED);
    assert.ok(pid > 0, "the runtime reports the daemon's pid");
    assert.equal(pidAlive(pid), false, "the daemon is gone while paused");

    // A message to a paused session resumes it first and is answered once.
    assert.equal(await converse("first", "again"), "Hello, world.");
    first = await get("first");
    assert.equal(first.status?.turnCount, 2, "the second turn continues the conversation");
    assert.equal(await readFile(join(workspace(first), "notes.txt"), "utf8"), "remember me\n");

    const { session: child } = await sessions.remixSession({ source: { namespace: "default", name: "first" }, name: "child" });
    await eventually("child READY", () => get("child"), (s) => stateOf(s) === SessionState.READY);
    assert.equal(child?.lineage?.parent?.name, "first");
    assert.equal(await readFile(join(workspace(child), "notes.txt"), "utf8"), "remember me\n", "the child has the files");
    await writeFile(join(workspace(child), "notes.txt"), "changed in the child\n");
    assert.equal(await readFile(join(workspace(first), "notes.txt"), "utf8"), "remember me\n", "the parent is unchanged");
    assert.equal(await converse("child", "and you?"), "Hello, world.");
    assert.equal((await get("child")).status?.turnCount, 3, "the child continues from the parent's conversation");

    for (const name of ["first", "child"]) {
      const before = await get(name);
      await sessions.deleteSession({ ref: { namespace: "default", name } });
      await eventually(`${name} TERMINATED`, () => sessions.listSessions({ namespace: "default", states: [SessionState.TERMINATED] }), (r) =>
        r.sessions.some((s) => s.metadata?.name === name),
      );
      assert.equal(existsSync(join(t.dataDir, "sessions", before.metadata!.uid)), false, "the volume is removed");
      const handle = Number(before.status?.runtime?.handle ?? "0");
      assert.ok(handle > 0, "the runtime reported the daemon's pid");
      assert.equal(pidAlive(handle), false, "no daemon is left");
      const rows = await t.server.orm.em.fork().execute<{ token_generation: number }[]>(`select token_generation from sessions where id = ?`, [before.metadata!.uid]);
      assert.ok((rows[0]?.token_generation ?? 0) > 1, "the daemon token is revoked");
    }
  });
});
