import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { runRaworc, type RaworcResult } from "../testing/raworc-process.js";

/** A scripted agent whose "sleep" turn runs a shell that backgrounds `sleep 30`, records both pids, and waits. */
const sleeperAgent = `kind: Agent
metadata:
  name: sleeper
spec:
  tools:
    - name: shell
  model:
    provider: scripted
    scripted:
      turns:
        - match: "^sleep"
          steps:
            - toolCall:
                name: shell
                argumentsJson: '{"command": "sleep 30 & echo $! > sleep.pid; echo $$ > shell.pid; wait"}'
            - text: "woke up"
        - steps:
            - text: "Hello again."
`;

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}

/** Polls until `check` passes; fails with `what` after `ms` (a bound on waiting, not a timing assertion). */
async function until(what: string, check: () => Promise<boolean> | boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("raworc sessions cancel (end to end: real server, real daemon, real CLI)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let dir: string;
  const raworc = (args: string[], input?: string) => runRaworc(args, { env: { RAWORC_CONFIG: join(dir, "config.yaml") }, input });
  const ok = (result: RaworcResult, what: string) => assert.equal(result.code, 0, `${what}: ${result.stderr}`);

  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "raworc-cancel-"));
    await writeFile(join(dir, "sleeper.yaml"), sleeperAgent);
    ok(await raworc(["login", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword), "login");
    ok(await raworc(["agents", "create", "-f", join(dir, "sleeper.yaml")]), "agents create");
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("stops a running shell tool: the turn ends cancelled, the tool's whole process group is gone, and the next message is answered", async () => {
    ok(await raworc(["sessions", "create", "--agent", "sleeper", "--name", "nap"]), "sessions create");
    await until("READY", async () => /"state":\s*"SESSION_STATE_READY"/.test((await raworc(["sessions", "get", "nap", "-o", "json"])).stdout));
    const got = JSON.parse((await raworc(["sessions", "get", "nap", "-o", "json"])).stdout) as { metadata: { uid: string } };
    const workspace = join(server.dataDir, "sessions", got.metadata.uid, "workspace");

    ok(await raworc(["sessions", "send", "nap", "sleep now", "--no-wait"]), "send");
    const pidIn = async (file: string): Promise<number> => Number((await readFile(join(workspace, file), "utf8").catch(() => "")).trim());
    await until("the tool started its shell and sleep", async () => (await pidIn("shell.pid")) > 0 && (await pidIn("sleep.pid")) > 0);
    const [shellPid, sleepPid] = [await pidIn("shell.pid"), await pidIn("sleep.pid")];
    assert.ok(alive(shellPid) && alive(sleepPid), "both run before the cancel");

    const cancelled = await raworc(["sessions", "cancel", "nap", "--reason", "taking too long"]);
    ok(cancelled, "sessions cancel");
    assert.equal(cancelled.stdout, "session/nap: turn 1 asked to stop\n");
    // Well inside the 30 s the sleep would take: the cancel, not the sleep, ended the turn.
    await until("turn 1 cancelled", async () => /^1\s+-\s+sleeper\s+Cancelled/m.test((await raworc(["sessions", "history", "nap"])).stdout), 20_000);
    await until("the shell and its background sleep gone", () => !alive(shellPid) && !alive(sleepPid), 20_000);
    const events = await raworc(["sessions", "events", "nap", "--turn", "1", "-o", "json"]);
    assert.match(events.stdout, /"status":\s*"TOOL_CALL_STATUS_CANCELLED"/);
    assert.match(events.stdout, /"turnCancelled":\s*\{[^}]*"reason":\s*"Cancelled"/);

    const again = await raworc(["sessions", "cancel", "nap"]);
    ok(again, "cancel with nothing running");
    assert.equal(again.stdout, "session/nap: no turn was running\n");

    const reply = await raworc(["sessions", "send", "nap", "hi"]);
    ok(reply, "send after the cancel");
    assert.equal(reply.stdout, "Hello again.\n");
  });
});
