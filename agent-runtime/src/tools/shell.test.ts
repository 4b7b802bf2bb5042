import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

import { createShellTool } from "./shell.js";
import { type TempWorkspace, tempWorkspace, toolContext } from "./test-helpers.js";

/** Whether a process is running (a zombie awaiting its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function pids(ws: string): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    const found = await Promise.all(["child.pid", "grandchild.pid"].map((f) => readFile(join(ws, f), "utf8").catch(() => "")));
    if (found.every((text) => text.trim() !== "")) return found.map((text) => Number(text.trim()));
    await sleep(20);
  }
  throw new Error("the command did not record its pids");
}

// A child that spawns a grandchild sleeping; both record their pids.
const TREE = "bash -c 'sleep 300 & echo $! > grandchild.pid; wait' & echo $! > child.pid; wait";

describe("shell tool", () => {
  let t: TempWorkspace;
  beforeEach(async () => {
    t = await tempWorkspace();
  });
  afterEach(() => t.dispose());

  it("runs in the workspace and returns output and exit code", async () => {
    const tool = createShellTool();
    const ok = await tool.run({ command: "pwd; echo err >&2" }, toolContext(t.ws));
    assert.deepEqual([ok.status, ok.exitCode, ok.output], ["ok", 0, `${t.ws}\nerr\n`]);
    const failed = await tool.run({ command: "exit 3" }, toolContext(t.ws));
    assert.deepEqual([failed.status, failed.exitCode], ["error", 3]);
  });

  it("kills the whole process tree at the time limit", async () => {
    const tool = createShellTool({ killGraceMs: 500 });
    const started = Date.now();
    const running = tool.run({ command: TREE }, toolContext(t.ws, { timeoutMs: 1500 }));
    const [child, grandchild] = await pids(t.ws);
    assert.ok(alive(child as number) && alive(grandchild as number));
    const result = await running;
    assert.equal(result.status, "timeout");
    assert.match(result.output, /killed after 1500 ms/);
    assert.ok(Date.now() - started < 10_000);
    await sleep(100);
    assert.equal(alive(child as number), false, "child still running");
    assert.equal(alive(grandchild as number), false, "grandchild still running");
  });

  it("escalates to SIGKILL when the group ignores SIGTERM", async () => {
    const tool = createShellTool({ killGraceMs: 300 });
    const result = await tool.run({ command: "trap '' TERM; echo ready; sleep 300 & wait; sleep 300" }, toolContext(t.ws, { timeoutMs: 500 }));
    assert.equal(result.status, "timeout");
    assert.equal(result.exitCode, 137);
  });

  it("stops the tree when the AbortSignal fires", async () => {
    const abort = new AbortController();
    const running = createShellTool().run({ command: TREE }, toolContext(t.ws, { timeoutMs: 60_000 }, abort.signal));
    const [child, grandchild] = await pids(t.ws);
    abort.abort();
    const result = await running;
    assert.equal(result.status, "cancelled");
    await sleep(100);
    assert.equal(alive(child as number), false);
    assert.equal(alive(grandchild as number), false);
  });

  it("kills background jobs left when the command exits", async () => {
    const result = await createShellTool().run({ command: "sleep 300 & echo $! > bg.pid" }, toolContext(t.ws));
    assert.equal(result.status, "ok");
    await sleep(100);
    assert.equal(alive(Number(await readFile(join(t.ws, "bg.pid"), "utf8"))), false);
  });

  it("caps combined output with a marker", async () => {
    const result = await createShellTool().run({ command: "head -c 100000 /dev/zero | tr '\\0' x" }, toolContext(t.ws, { maxOutputBytes: 1000 }));
    assert.equal(result.truncated, true);
    assert.equal(result.exitCode, 0);
    assert.ok(result.output.startsWith("x".repeat(1000)));
    assert.match(result.output, /\[output truncated: 99000 of 100000 bytes not shown\]$/);
  });

  it("runs with a minimal environment: no session token, no daemon variables, only the spec's env", async () => {
    process.env.RAWORC_SESSION_TOKEN = "canary-token-4f2e";
    process.env.RAWORC_TEST_SECRET = "canary-secret-9b1d";
    try {
      const result = await createShellTool({ env: { GREETING: "hi" } }).run({ command: "env" }, toolContext(t.ws));
      assert.doesNotMatch(result.output, /canary|RAWORC_/);
      assert.match(result.output, /^GREETING=hi$/m);
      assert.match(result.output, new RegExp(`^HOME=${t.ws}$`, "m"));
    } finally {
      delete process.env.RAWORC_SESSION_TOKEN;
      delete process.env.RAWORC_TEST_SECRET;
    }
  });

  it("does not start a command when the signal is already aborted", async () => {
    const abort = new AbortController();
    abort.abort();
    const result = await createShellTool().run({ command: "touch ran" }, toolContext(t.ws, {}, abort.signal));
    assert.equal(result.status, "cancelled");
    await assert.rejects(readFile(join(t.ws, "ran")));
  });
});
