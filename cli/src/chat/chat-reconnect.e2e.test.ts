/**
 * The chat across a control-plane restart: the control plane runs as a child process and is
 * killed (SIGKILL) in the middle of a streamed reply, then started again on the same database,
 * data directory and port. The daemon it started lives on; the chat says it is reconnecting,
 * resumes its watch from the last seq it showed, and the transcript has every chunk of both
 * replies exactly once, in order.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ProcessRuntime } from "@raworc/control-plane";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startControlPlaneProcess, type ControlPlaneProcess } from "@raworc/test-support/control-plane-process/spawn.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { runRaworc, spawnRaworc } from "../testing/raworc-process.js";

const CHUNKS = 40;
/** Chunk `i` of a reply: fixed width, so a repeated or missing chunk shows in the text. */
const chunk = (i: number) => `<${String(i).padStart(3, "0")}>`;
const fullReply = Array.from({ length: CHUNKS }, (_, i) => chunk(i)).join("");

describe("raworc chat across a control-plane restart (control plane in a child process, real daemon)", function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let dataDir: string;
  let configDir: string;
  const adminPassword = randomBytes(12).toString("base64url");
  const planes: ControlPlaneProcess[] = [];

  before(async () => {
    db = await createTestDatabase();
    dataDir = await mkdtemp(join(tmpdir(), "raworc-chat-restart-"));
    configDir = await mkdtemp(join(tmpdir(), "raworc-chat-restart-cli-"));
  });
  after(async () => {
    for (const plane of planes) await plane.stop();
    // Daemons outlive control planes by design; the test's must not outlive the test.
    if (dataDir) {
      const runtime = new ProcessRuntime({ dataDir, graceMs: 1000 });
      await Promise.all((await runtime.list()).map((leftover) => runtime.destroy(leftover.sessionId)));
      await runtime.close();
    }
    await db?.drop();
    for (const d of [dataDir, configDir]) if (d) await rm(d, { recursive: true, force: true });
  });

  it("says it is reconnecting and resumes the reply where it was: no chunk missing, none twice", async () => {
    const first = await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword });
    planes.push(first);
    const env = { RAWORC_CONFIG: join(configDir, "config.yaml") };
    const loggedIn = await runRaworc(["login", "--server", first.url, "-u", "admin", "--password-stdin"], { env, input: adminPassword });
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    const steps = Array.from({ length: CHUNKS }, (_, i) => [
      ...(i === 0 ? [] : [{ step: { case: "delay" as const, value: durationFromMs(100) } }]),
      { step: { case: "text" as const, value: chunk(i) } },
    ]).flat();
    await clientOf(AgentService, first.url, await login(first.url, "admin", adminPassword)).createAgent({
      agent: { metadata: { namespace: "default", name: "streamer" }, spec: { instructions: "Stream.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps }] } } } },
    });

    const chat = spawnRaworc(["chat", "--agent", "streamer", "--name", "survivor"], { env, input: "talk for a while\nand once more\n" });
    let stdout = "";
    let stderr = "";
    chat.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    chat.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => chat.once("close", (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (!stdout.includes(chunk(5))) {
      if (Date.now() > deadline) assert.fail(`the reply did not start streaming: ${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }

    await first.kill("SIGKILL");
    const shownBeforeRestart = stdout;
    planes.push(await startControlPlaneProcess({ dataDir, databaseUrl: db.url, adminPassword, port: first.port }));

    assert.equal(await exit, 0, `${stdout}\n${stderr}`);
    assert.ok(!shownBeforeRestart.includes("── turn 1"), "the control plane was killed in the middle of turn 1");
    assert.match(stderr, /^reconnected$/m);
    assert.match(stderr, /^lost the connection to the server \(.*\); reconnecting…$/m);
    const replies = stdout
      .split("\n")
      .filter((l) => l.startsWith("streamer> "))
      .map((l) => l.slice("streamer> ".length))
      .join("");
    assert.equal(replies, fullReply + fullReply, `both replies, every chunk once and in order:\n${stdout}`);
    const turns = stdout.split("\n").filter((l) => l.startsWith("── turn"));
    assert.deepEqual(turns.map((l) => l.split(" · ")[0]), ["── turn 1 completed", "── turn 2 completed"], stdout);
    assert.equal(stdout.split("\n").filter((l) => l === "you> and once more").length, 1, "the second message was sent once");
  });
});
