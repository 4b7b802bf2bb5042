/**
 * A daemon killed (SIGKILL) right after a tool call's result was recorded, before its turn
 * ended, does not run the call again when the runtime restarts it: the tool appends a line to a
 * counter file, the test kills the daemon as soon as the ToolCallCompleted event is stored, and
 * after the restart the file still has one line, the call was reported once, and the cut turn
 * is closed as Interrupted (the recovery rule for a turn a crash cut short).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { step } from "../testing/fixtures.js";
import { DrivenSession, eventually, payloads } from "../testing/session-driver.js";

const namespace = "default";

describe("a crash between a tool's result and its turn's end (real control plane, daemon killed -9)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let token: string;
  let session: DrivenSession | undefined;
  const sessions = (): Client<typeof SessionService> => clientOf(SessionService, server.url, token);

  before(async () => {
    server = await startTestServer();
    token = await login(server.url, "admin", server.adminPassword);
    await clientOf(AgentService, server.url, token).createAgent({
      agent: {
        metadata: { namespace, name: "counter" },
        spec: {
          tools: [{ name: "shell" }],
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: {
              turns: [
                // The turn stays open after the tool (an hour's delay), so the kill lands before its end.
                { match: "^count", steps: [step.toolCall("shell", JSON.stringify({ command: "echo run >> counter.txt" })), step.delay(3_600_000), step.text("counted")] },
                { steps: [step.text("Hello again.")] },
              ],
            },
          },
        },
      },
    });
  });
  after(async () => {
    await session?.stop();
    await server?.stop();
  });

  it("does not rerun the recorded call after the restart; the turn is closed as Interrupted and the next message is answered", async () => {
    session = await DrivenSession.start(sessions, namespace, "crashy", ["counter"]);
    const pidOf = async (): Promise<number> => Number((await session!.get()).status?.runtime?.handle ?? "0");
    const pid = await pidOf();
    assert.ok(pid > 0);
    const workspace = join(server.dataDir, "sessions", (await session.get()).metadata!.uid, "workspace");

    const turn = await session.send("count once");
    await session.follower.waitFor("the tool's result", (event) => event.turn === turn && event.payload.case === "toolCallCompleted");
    process.kill(pid, "SIGKILL");

    const ended = await session.ended(turn);
    assert.equal(ended.end.payload.case === "turnFailed" && ended.end.payload.value.reason, "Interrupted");
    await eventually("READY with a new daemon", () => session!.get(), (s) => s.status?.state === SessionState.READY && Number(s.status.runtime?.handle) !== pid, 60_000);
    assert.equal(await readFile(join(workspace, "counter.txt"), "utf8"), "run\n", "the tool ran exactly once");
    assert.equal(payloads(ended, "toolCallStarted").length, 1, "the call was started once");
    assert.equal(payloads(ended, "toolCallCompleted").length, 1, "and reported once");

    const next = await session.turn("hi");
    assert.equal(next.reply, "Hello again.");
    assert.equal(await readFile(join(workspace, "counter.txt"), "utf8"), "run\n");
    assert.deepEqual(session.follower.seqs, session.follower.seqs.map((_seq, index) => BigInt(index + 1)), "every event once, in order");
  });
});
