import assert from "node:assert/strict";
import { once } from "node:events";
import { brokenPipeExitCode } from "./broken-pipe.js";
import { spawnRaworc } from "./testing/raworc-process.js";

/** Runs `raworc args…` with the read end of one output pipe closed before it writes (a reader such as `head` that is gone), collecting the other. */
async function withClosedReader(args: string[], closed: "stdout" | "stderr"): Promise<{ code: number | null; signal: NodeJS.Signals | null; other: string }> {
  const child = spawnRaworc(args);
  child[closed]?.destroy();
  let other = "";
  child[closed === "stdout" ? "stderr" : "stdout"]?.on("data", (d: Buffer) => (other += d.toString()));
  const [code, signal] = (await once(child, "close")) as [number | null, NodeJS.Signals | null];
  return { code, signal, other };
}

describe("raworc with its reader gone (`raworc … | head -1`)", function () {
  this.timeout(60_000);

  for (const args of [["--help"], ["sessions", "--help"], ["--version"]]) {
    it(`raworc ${args.join(" ")} ends quietly with the SIGPIPE status when stdout's reader is gone`, async () => {
      const run = await withClosedReader(args, "stdout");
      assert.equal(run.other, "", "nothing on stderr: no EPIPE stack trace");
      assert.deepEqual([run.code, run.signal], [brokenPipeExitCode, null]);
    });
  }

  it("ends quietly when stderr's reader is gone while it reports an error", async () => {
    const run = await withClosedReader(["no-such-command"], "stderr");
    assert.equal(run.other, "");
    assert.deepEqual([run.code, run.signal], [brokenPipeExitCode, null]);
  });
});
