/**
 * The chat's approval prompt against a daemon played by the test: the server runs without its
 * reconciler, the test attaches over RuntimeService.Attach with the session's token, asks for
 * approvals, and checks the decisions the chat sends reach it as ApprovalDecision work items.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { importKeySet, issueDaemonToken, loadOrCreateKeySet } from "@raworc/control-plane";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ApprovalOutcome, ToolCallStatus, type SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { AttachRequestSchema, RuntimeService, type AttachRequest, type AttachResponse, type WorkItem } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { bearer, clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { spawnRaworc } from "../testing/raworc-process.js";

/** Requests a test writes by hand, as the stream's request iterable. */
class RequestQueue implements AsyncIterable<AttachRequest> {
  private readonly items: AttachRequest[] = [];
  private wake: (() => void) | undefined;
  private closed = false;

  push(request: MessageInitShape<typeof AttachRequestSchema>): void {
    this.items.push(create(AttachRequestSchema, request));
    this.wake?.();
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<AttachRequest> {
    for (;;) {
      const next = this.items.shift();
      if (next) yield next;
      else if (this.closed) return;
      else await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** The session's daemon, played by the test over the real attach stream. */
class PlayedDaemon {
  private readonly requests = new RequestQueue();
  private readonly responses: AsyncIterator<AttachResponse>;
  private readonly abort = new AbortController();
  private seq = 0n;

  constructor(
    url: string,
    token: string,
    private readonly agent: string,
  ) {
    const transport = createGrpcTransport({ baseUrl: url, interceptors: [bearer(token)] });
    this.responses = createClient(RuntimeService, transport).attach(this.requests, { signal: this.abort.signal })[Symbol.asyncIterator]();
  }

  async attach(sessionId: string): Promise<void> {
    this.requests.push({ payload: { case: "hello", value: { sessionId, protocolVersion: 1, instanceId: randomUUID(), daemonVersion: "test" } } });
    const welcome = await this.receive();
    assert.equal(welcome.payload.case, "welcome");
    this.requests.push({ payload: { case: "ready", value: { activeTurn: 0 } } });
  }

  /** The next work item, acknowledged. */
  async work(): Promise<WorkItem> {
    for (;;) {
      const message = await this.receive();
      if (message.payload.case !== "workItem") continue;
      this.requests.push({ ack: message.seq, payload: { case: "heartbeat", value: {} } });
      return message.payload.value;
    }
  }

  emit(turn: number, payload: MessageInitShape<typeof SessionEventSchema>["payload"]): void {
    this.seq++;
    this.requests.push({ seq: this.seq, payload: { case: "event", value: { agent: this.agent, turn, time: timestampFromDate(new Date()), payload } } });
  }

  close(): void {
    this.requests.close();
    this.abort.abort();
  }

  private async receive(): Promise<AttachResponse> {
    for (;;) {
      const next = await this.responses.next();
      if (next.done) throw new Error("the attach stream ended");
      if (next.value.payload.case !== "heartbeat") return next.value;
    }
  }
}

describe("raworc chat approvals (real CLI and server; the daemon played by the test)", function () {
  this.timeout(120_000);
  let server: TestServer;
  let dir: string;
  let daemon: PlayedDaemon | undefined;

  before(async () => {
    // No reconciler: the test is the daemon, and a real one must not join in.
    server = await startTestServer({ reconcile: false });
    dir = await mkdtemp(join(tmpdir(), "raworc-chat-approval-"));
  });
  after(async () => {
    daemon?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("shows each approval request and sends the answers (/approve with a reason, then a prompt answer n) to the daemon", async () => {
    const token = await login(server.url, "admin", server.adminPassword);
    await clientOf(AgentService, server.url, token).createAgent({
      agent: { metadata: { namespace: "default", name: "deployer" }, spec: { instructions: "Deploy.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [] }] } } } },
    });
    const sessions = clientOf(SessionService, server.url, token);
    const { session } = await sessions.createSession({ session: { metadata: { namespace: "default", name: "release" }, spec: { agents: ["deployer"] } } });
    const id = session!.metadata!.uid;
    const [row] = await server.server.orm.em.fork().execute<{ token_generation: number }[]>("select token_generation from sessions where id = ?", [id]);
    const keyring = await importKeySet(await loadOrCreateKeySet(join(server.dataDir, "keys", "jwks.json")));
    const daemonToken = (await issueDaemonToken({ keyring, issuer: "raworc" }, { id, tokenGeneration: Number(row?.token_generation) })).token;
    daemon = new PlayedDaemon(server.url, daemonToken, "deployer");
    await daemon.attach(id);

    const chat = spawnRaworc(["chat", "release"], {
      env: { RAWORC_SERVER: server.url, RAWORC_TOKEN: token, RAWORC_CONFIG: join(dir, "none.yaml") },
      input: "deploy please\n/approve call-1 ship it\ndeploy again\nn too risky\n",
    });
    let stdout = "";
    let stderr = "";
    chat.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    chat.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => chat.once("close", (code) => resolve(code)));

    const expiresAt = timestampFromDate(new Date(Date.now() + 10 * 60_000));
    for (const [turn, callId, decision] of [
      [1, "call-1", { approve: true, reason: "ship it" }],
      [2, "call-2", { approve: false, reason: "too risky" }],
    ] as const) {
      const message = await daemon.work();
      assert.equal(message.item.case, "userMessage", `turn ${turn} starts with the chat's message`);
      daemon.emit(turn, { case: "turnStarted", value: { messageId: message.item.value.messageId } });
      daemon.emit(turn, { case: "toolCallStarted", value: { toolCallId: callId, tool: "shell", argumentsJson: '{"command":"make deploy"}' } });
      daemon.emit(turn, { case: "approvalRequested", value: { toolCallId: callId, tool: "shell", argumentsJson: '{"command":"make deploy"}', reason: "tools[0].require_approval", expiresAt } });

      const answer = await daemon.work();
      assert.equal(answer.item.case, "approvalDecision", `turn ${turn}: the daemon receives the chat's decision`);
      const { toolCallId, approve, reason, decidedBy } = answer.item.value;
      assert.deepEqual({ toolCallId, approve, reason, by: decidedBy?.name }, { toolCallId: callId, ...decision, by: "admin" });

      daemon.emit(turn, { case: "approvalResolved", value: { toolCallId: callId, outcome: approve ? ApprovalOutcome.APPROVED : ApprovalOutcome.DENIED, decidedBy, reason } });
      daemon.emit(turn, { case: "toolCallCompleted", value: { toolCallId: callId, tool: "shell", status: approve ? ToolCallStatus.SUCCEEDED : ToolCallStatus.DENIED, output: approve ? "deployed" : "", error: approve ? "" : reason } });
      daemon.emit(turn, { case: "textDelta", value: { text: approve ? "Deployed." : "Not deployed." } });
      daemon.emit(turn, { case: "turnCompleted", value: { stopReason: "end_turn" } });
    }

    assert.equal(await exit, 0, `${stdout}\n${stderr}`);
    const lines = stdout.split("\n");
    const at = (pattern: RegExp) => {
      const i = lines.findIndex((l) => pattern.test(l));
      assert.ok(i >= 0, `no line ${pattern} in:\n${stdout}`);
      return i;
    };
    const order = [
      at(/^ {2}approval needed: shell command="make deploy" \(call-1\)$/),
      at(/^ {4}reason: tools\[0\]\.require_approval; expires in \d+m\d*s? \(\S+Z\)$/),
      at(/^ {2}approval approved for call-1 by admin: ship it$/),
      at(/^deployer> Deployed\.$/),
      at(/^── turn 1 completed/),
      at(/^ {2}approval needed: shell command="make deploy" \(call-2\)$/),
      at(/^ {2}approval denied for call-2 by admin: too risky$/),
      at(/^ {2}tool shell denied: too risky$/),
      at(/^deployer> Not deployed\.$/),
      at(/^── turn 2 completed/),
    ];
    assert.deepEqual(order, [...order].sort((a, b) => a - b), stdout);
    assert.match(stderr, /^approved call-1: ship it$/m);
    assert.match(stderr, /^denied call-2: too risky$/m);
  });
});
