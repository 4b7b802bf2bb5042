/**
 * A two-agent session end to end: a real control plane (startTestServer, real PostgreSQL) runs
 * this package's daemon as a child process, which starts a real MCP server (the SDK fixture over
 * stdio). A message is routed by pattern to "triage", which hands off to "support"; support
 * answers with knowledge_search over files in the session's volume and an MCP tool, and every
 * event names the agent that acted. Pausing the session stops the MCP server with the daemon.
 */
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState, ToolCallStatus, TurnRoute, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { step } from "../testing/fixtures.js";
import { SessionFollower } from "../testing/session-follower.js";
import { fixtureHash, fixtureServerCommand } from "../tools/mcp/fixture-server.js";

const namespace = "default";

/** Polls until `check` passes; fails with what it last saw after `ms`. */
async function eventually<T>(what: string, read: () => Promise<T> | T, check: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a two-agent session with routing, handoff, knowledge_search and MCP (real control plane, real daemon, real MCP server)", function () {
  this.timeout(180_000);
  let server: TestServer;
  let token: string;
  const sessions = (): Client<typeof SessionService> => clientOf(SessionService, server.url, token);
  let follower: SessionFollower | undefined;
  const mcpSecret = "mcp-env-canary-0c9b";

  before(async () => {
    server = await startTestServer();
    token = await login(server.url, "admin", server.adminPassword);
    await clientOf(SecretService, server.url, token).createSecret({ secret: { metadata: { namespace, name: "shop" }, data: { greeting: mcpSecret } } });
    const agents = clientOf(AgentService, server.url, token);
    await agents.createAgent({
      agent: {
        metadata: { namespace, name: "triage" },
        spec: {
          description: "Sorts incoming questions.",
          routingPatterns: ["(?i)\\border\\b"],
          tools: [{ name: "handoff" }],
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: { turns: [{ steps: [step.text("Passing this to support. "), step.toolCall("handoff", JSON.stringify({ to_agent: "support", message: "order A-1001, asks about returns" }))] }] },
          },
        },
      },
    });
    const { command, args } = fixtureServerCommand();
    await agents.createAgent({
      agent: {
        metadata: { namespace, name: "support" },
        spec: {
          description: "Answers order and returns questions.",
          tools: [{ name: "knowledge_search" }, { name: "handoff" }],
          knowledgeSources: [{ path: "kb", description: "store policies", include: ["*.md"] }],
          mcpServers: [
            {
              name: "shop",
              transport: { case: "stdio", value: { command, args, env: [{ name: "FIXTURE_GREETING", source: { case: "secret", value: { secret: "shop", key: "greeting" } } }] } },
              tools: ["lookup_order", "whoami"],
            },
          ],
          model: {
            provider: ModelProvider.SCRIPTED,
            scripted: {
              turns: [
                {
                  steps: [
                    step.toolCall("knowledge_search", JSON.stringify({ query: "return window days" })),
                    step.toolCall("shop__lookup_order", JSON.stringify({ order_id: "A-1001" })),
                    step.toolCall("shop__whoami", "{}"),
                    step.text("Your order A-1001 has shipped, and you can return it within 30 days."),
                  ],
                },
              ],
            },
          },
        },
      },
    });
  });
  after(async () => {
    await follower?.stop();
    await server?.stop();
  });

  const get = async (name: string): Promise<Session> => (await sessions().getSession({ ref: { namespace, name } })).session!;

  it("routes by pattern to triage, which hands off; support answers with knowledge_search and an MCP tool; events name who spoke", async () => {
    // "support" comes first, so only the pattern can send the message to "triage".
    await sessions().createSession({ session: { metadata: { namespace, name: "desk" }, spec: { agents: ["support", "triage"] } } });
    const session = await eventually("READY", () => get("desk"), (s) => s.status?.state === SessionState.READY);
    const workspace = join(server.dataDir, "sessions", session.metadata!.uid, "workspace");
    await mkdir(join(workspace, "kb"), { recursive: true });
    await writeFile(join(workspace, "kb", "returns.md"), "# Returns\nYou can return any item within 30 days of delivery.\nRefunds take 5 days.\n");
    await writeFile(join(workspace, "kb", "returns.txt"), "return window days return window days (not included: not markdown)\n");
    await writeFile(join(workspace, "kb", "shipping.md"), "# Shipping\nParcels ship within two days.\n");

    follower = new SessionFollower(sessions, { namespace, name: "desk" });
    await sessions().sendMessage({ ref: { namespace, name: "desk" }, text: "Where is my order, and can I return it?" });
    const end = await follower.waitFor("the turn's end", (event) => event.turn === 1 && (event.payload.case === "turnCompleted" || event.payload.case === "turnFailed"), 60_000);
    const events = follower.turn(1);
    const kinds = events.map((event: SessionEvent) => `${event.agent}:${event.payload.case ?? ""}`);
    assert.equal(end.payload.case, "turnCompleted", kinds.join(", "));
    assert.deepEqual(kinds, [
      "triage:turnStarted",
      "triage:textDelta",
      "triage:toolCallStarted",
      "triage:toolCallCompleted",
      "triage:handoff",
      "support:toolCallStarted",
      "support:toolCallCompleted",
      "support:toolCallStarted",
      "support:toolCallCompleted",
      "support:toolCallStarted",
      "support:toolCallCompleted",
      "support:textDelta",
      "support:turnCompleted",
    ]);
    const started = events[0]?.payload;
    assert.deepEqual(started?.case === "turnStarted" && [started.value.route, started.value.matchedPattern], [TurnRoute.PATTERN, "(?i)\\border\\b"]);
    const handoff = events.find((event) => event.payload.case === "handoff")?.payload;
    assert.deepEqual(handoff?.case === "handoff" && [handoff.value.toAgent, handoff.value.message], ["support", "order A-1001, asks about returns"]);

    const results = events.flatMap((event) => (event.payload.case === "toolCallCompleted" ? [event.payload.value] : []));
    assert.deepEqual(results.map((result) => [result.tool, ToolCallStatus[result.status]]), [
      ["handoff", "SUCCEEDED"],
      ["knowledge_search", "SUCCEEDED"],
      ["shop__lookup_order", "SUCCEEDED"],
      ["shop__whoami", "SUCCEEDED"],
    ]);
    assert.match(results[1]?.output ?? "", /^1\. kb\/returns\.md:1-3 \(score [\d.]+\)\nYou can return any item within 30 days/);
    assert.doesNotMatch(results[1]?.output ?? "", /returns\.txt/);
    assert.equal(results[2]?.output, "order A-1001: shipped on 2026-03-02 by parcel post");
    assert.equal(follower.reply(1), "Passing this to support. Your order A-1001 has shipped, and you can return it within 30 days.");

    // The MCP server runs in the workspace as a child of the daemon, and stops when the session pauses.
    const who = JSON.parse(results[3]?.output ?? "{}") as { pid: number; cwd: string; greeting: string };
    assert.equal(who.cwd, workspace);
    assert.equal(who.greeting, fixtureHash(mcpSecret), "the server got the secret through its spec's environment");
    assert.equal(alive(who.pid), true);

    await sessions().sendMessage({ ref: { namespace, name: "desk" }, text: "thanks" });
    const next = await follower.waitFor("the next turn's start", (event) => event.turn === 2 && event.payload.case === "turnStarted");
    assert.equal(next.agent, "support", "the receiver of the handoff takes the next turn");
    assert.equal(next.payload.case === "turnStarted" && next.payload.value.route, TurnRoute.CONTINUATION);
    await follower.waitFor("the next turn's end", (event) => event.turn === 2 && event.payload.case === "turnCompleted", 60_000);

    await sessions().pauseSession({ ref: { namespace, name: "desk" } });
    await eventually("PAUSED", () => get("desk"), (s) => s.status?.state === SessionState.PAUSED);
    await eventually("the MCP server stopped", () => alive(who.pid), (running) => !running, 15_000);
  });
});
