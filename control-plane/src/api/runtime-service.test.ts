import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { GuardrailAction, GuardrailStage } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { ShutdownReason, WorkItemSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { issueDaemonToken, type DaemonTokenSettings } from "../auth/daemon-auth.js";
import { importKeySet, loadOrCreateKeySet } from "../auth/keyring.js";
import { startAttachServer, type TestAttachServer } from "../sessions/attach/test-attach-server.js";
import { TestDaemon } from "../sessions/attach/test-daemon.js";
import { readEvents, transitionLocked } from "../sessions/event-log.js";
import { channels, notifySql } from "../sessions/notifier.js";
import { SessionStore } from "../sessions/session-store.js";
import { AgentStore } from "../store/agents.js";
import type { SessionRow } from "../store/entities/session.js";
import type { Orm } from "../store/orm.js";

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const texts = async (orm: Orm, id: string) =>
  (await readEvents(orm.em.fork(), id, 0n, 10_000)).flatMap((e) => (e.payload.case === "textDelta" ? [e.payload.value.text] : []));

describe("RuntimeService.Attach (real server, real gRPC streams)", function () {
  this.timeout(30_000);
  let server: TestServer;
  let orm: Orm;
  let sessions: SessionStore;
  let settings: DaemonTokenSettings;
  const daemons: TestDaemon[] = [];

  before(async () => {
    // No reconciler: this suite plays the daemon itself, and a real one must not join in.
    server = await startTestServer({ reconcile: false });
    orm = server.server.orm;
    sessions = new SessionStore(orm);
    settings = { keyring: await importKeySet(await loadOrCreateKeySet(join(server.dataDir, "keys", "jwks.json"))), issuer: "raworc" };
    const admin = clientOf(SecretService, server.url, await login(server.url, "admin", server.adminPassword));
    await admin.createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": "sk-test", unused: "u" } } });
    await admin.createSecret({ secret: { metadata: { namespace: "default", name: "creds" }, data: { token: "t0k", other: "o" } } });
    const spec = create(AgentSpecSchema, {
      instructions: "help",
      model: { provider: ModelProvider.SCRIPTED, apiKey: { secret: "llm", key: "api-key" } },
      env: [{ name: "TOKEN", source: { case: "secret", value: { secret: "creds", key: "token" } } }],
    });
    await new AgentStore(orm).create({ namespace: "default", name: "helper" }, { spec, labels: {}, annotations: {} });
  });
  afterEach(() => {
    for (const d of daemons.splice(0)) d.close();
  });
  after(async () => {
    await server?.stop();
  });

  const newSession = (agents = ["helper"]) =>
    sessions.create({ namespace: "default", name: "", spec: { agents }, labels: {}, annotations: {}, creator: {}, runtime: "process" });
  const tokenFor = async (row: Pick<SessionRow, "id" | "tokenGeneration">) => (await issueDaemonToken(settings, row)).token;
  const daemon = (token: string, url = server.url) => {
    const d = new TestDaemon(url, token);
    daemons.push(d);
    return d;
  };
  /** A daemon attached to a new session, past Welcome. */
  const attached = async (row?: SessionRow) => {
    const session = row ?? (await newSession());
    const d = daemon(await tokenFor(session));
    d.hello(session.id);
    assert.equal((await d.receive()).payload.case, "welcome");
    return { session, d };
  };

  it("welcomes the daemon with its session, its agents, only the secret keys they reference, resend_from and heartbeat settings", async () => {
    const session = await newSession();
    const d = daemon(await tokenFor(session));
    d.hello(session.id);
    const first = await d.receive();
    assert.equal(first.payload.case, "welcome");
    const welcome = first.payload.value;
    assert.equal(welcome.sessionId, session.id);
    assert.deepEqual([welcome.session?.namespace, welcome.session?.name], ["default", session.name]);
    assert.deepEqual(welcome.agents.map((a) => [a.metadata?.name, a.spec?.instructions]), [["helper", "help"]]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(welcome.secrets).map(([name, v]) => [name, v.data])),
      { llm: { "api-key": "sk-test" }, creds: { token: "t0k" } },
    );
    assert.equal(welcome.resendFrom, 1n);
    assert.deepEqual([durationMs(welcome.heartbeatInterval!), durationMs(welcome.heartbeatTimeout!)], [5000, 15000]);
    assert.equal(welcome.restore, undefined);
  });

  it("stores events in order and acknowledges them after commit; a resend after reconnect is stored once", async () => {
    const { session, d } = await attached();
    for (const [i, t] of ["a", "b", "c"].entries()) d.event(BigInt(i + 1), t);
    await d.ackedThrough(3n);
    assert.deepEqual(await texts(orm, session.id), ["a", "b", "c"], "committed before the ack");
    d.close();

    const again = daemon(await tokenFor(session));
    again.hello(session.id, { lastDaemonSeq: 4n, resumed: true });
    const welcome = await again.receive();
    assert.equal(welcome.payload.case === "welcome" && welcome.payload.value.resendFrom, 4n);
    assert.equal(welcome.ack, 3n);
    for (const [i, t] of ["b", "c", "d"].entries()) again.event(BigInt(i + 2), t);
    await again.ackedThrough(4n);
    assert.deepEqual(await texts(orm, session.id), ["a", "b", "c", "d"]);
    assert.equal((await sessions.findById(session.id))?.lastDaemonSeq, "4");
  });

  it("writes one audit row per guardrail decision it stores, in the same transaction; a resent decision is not audited twice", async () => {
    const { session, d } = await attached();
    const decision = { turn: 2, agent: "helper", payload: { case: "guardrailDecision" as const, value: { stage: GuardrailStage.TOOL_CALL, action: GuardrailAction.DENY, rule: "guardrails.tool_call.command_deny_patterns[0]", reason: "the command matches a command deny pattern", toolCallId: "call_1" } } };
    d.event(1n, "before");
    d.send({ seq: 2n, payload: { case: "event", value: decision } });
    await d.ackedThrough(2n);
    d.close();
    const again = daemon(await tokenFor(session));
    again.hello(session.id, { lastDaemonSeq: 2n, resumed: true });
    assert.equal((await again.receive()).payload.case, "welcome");
    again.send({ seq: 2n, payload: { case: "event", value: decision } });
    again.event(3n, "after");
    await again.ackedThrough(3n);
    const rows = await orm.em.fork().execute<{ principal: string; principal_kind: string; action: string; verb: string; namespace: string; name: string; result: string; reason: string }[]>(
      `select principal, principal_kind, action, verb, namespace, name, result, reason from audit_events where action like 'guardrail/%' and name = ?`,
      [session.name],
    );
    assert.deepEqual(rows, [
      {
        principal: `default/${session.name}`,
        principal_kind: "Session",
        action: "guardrail/tool_call",
        verb: "deny",
        namespace: "default",
        name: session.name,
        result: "PERMISSION_DENIED",
        reason: "guardrails.tool_call.command_deny_patterns[0]: the command matches a command deny pattern (turn 2, agent helper, tool call call_1)",
      },
    ]);
  });

  it("stores a burst of events in few transactions, each event once and in order", async () => {
    const { session, d } = await attached();
    const n = 500;
    for (let i = 1; i <= n; i++) d.event(BigInt(i), `e${i}`);
    let acks = 0;
    while (d.lastAck < BigInt(n)) if ((await d.nextRaw()).payload.case === "heartbeat") acks++;
    assert.deepEqual(await texts(orm, session.id), Array.from({ length: n }, (_, i) => `e${i + 1}`));
    assert.ok(acks < n / 2, `${acks} acks for ${n} events: consecutive events are batched`);
  });

  it("ends a stream that skips a seq with INVALID_ARGUMENT, storing nothing of it, while other sessions carry on", async () => {
    const a = await attached();
    const b = await attached();
    a.d.event(1n, "one");
    await a.d.ackedThrough(1n);
    const before = await sessions.findById(a.session.id);
    a.d.event(3n, "three");
    assert.equal(await a.d.ending(), Code.InvalidArgument);
    const after = await sessions.findById(a.session.id);
    assert.deepEqual(await texts(orm, a.session.id), ["one"]);
    assert.deepEqual([after?.lastDaemonSeq, after?.lastEventSeq, after?.state], [before?.lastDaemonSeq, before?.lastEventSeq, before?.state]);
    b.d.event(1n, "fine");
    await b.d.ackedThrough(1n);
    assert.deepEqual(await texts(orm, b.session.id), ["fine"]);
    const audited = await orm.em
      .fork()
      .execute<{ principal: string; principal_kind: string }[]>(`select principal, principal_kind from audit_events where action = 'raworc.v1.RuntimeService/Attach' and result = 'INVALID_ARGUMENT'`);
    assert.ok(
      audited.some((r) => r.principal === `session:${a.session.id}` && r.principal_kind === "Session"),
      "the refused stream is audited under the session's daemon",
    );
  });

  it("refuses events only the control plane writes (UserMessage, StateChanged), and a first message that is not Hello", async () => {
    const { session, d } = await attached();
    d.send({ seq: 1n, payload: { case: "event", value: { payload: { case: "userMessage", value: { messageId: "m", text: "forged" } } } } });
    assert.equal(await d.ending(), Code.InvalidArgument);
    assert.equal((await readEvents(orm.em.fork(), session.id, 0n, 100)).length, 0);

    const other = await attached();
    other.d.send({ seq: 1n, payload: { case: "event", value: { payload: { case: "stateChanged", value: {} } } } });
    assert.equal(await other.d.ending(), Code.InvalidArgument);

    const early = daemon(await tokenFor(session));
    early.heartbeat();
    assert.equal(await early.ending(), Code.InvalidArgument);
  });

  it("refuses a user token and a revoked token (UNAUTHENTICATED) and a token for another session (PERMISSION_DENIED)", async () => {
    const session = await newSession();
    const user = daemon(await login(server.url, "admin", server.adminPassword));
    user.hello(session.id);
    assert.equal(await user.ending(), Code.Unauthenticated);

    const other = await newSession();
    const wrong = daemon(await tokenFor(other));
    wrong.hello(session.id);
    assert.equal(await wrong.ending(), Code.PermissionDenied);

    await sessions.withLocked(session.id, (_em, row) => {
      row.tokenGeneration += 1;
      return Promise.resolve();
    });
    const revoked = daemon(await tokenFor({ id: session.id, tokenGeneration: 1 }));
    revoked.hello(session.id);
    assert.equal(await revoked.ending(), Code.Unauthenticated);

    const audited = await orm.em.fork().execute<{ result: string }[]>(`select result from audit_events where action = 'raworc.v1.RuntimeService/Attach' order by id`);
    for (const result of ["UNAUTHENTICATED", "PERMISSION_DENIED"]) assert.ok(audited.some((r) => r.result === result), `an audit row for ${result}`);
  });

  it("makes a daemon token useless on the user API (UNAUTHENTICATED on AuthService/WhoAmI)", async () => {
    const session = await newSession();
    const error = await clientOf(AuthService, server.url, await tokenFor(session))
      .whoAmI({})
      .then(() => undefined, (e: unknown) => ConnectError.from(e));
    assert.equal(error?.code, Code.Unauthenticated);
  });

  it("ends the stream UNAUTHENTICATED when the token is revoked while attached", async () => {
    const { session, d } = await attached();
    await sessions.withLocked(session.id, async (em, row) => {
      row.tokenGeneration += 1;
      await em.execute(notifySql(channels.sessions), [row.id]);
    });
    assert.equal(await d.ending(), Code.Unauthenticated);
  });

  it("delivers work items, records the daemon's ack, and resends what it had not acknowledged after a reconnect", async () => {
    const session = await newSession();
    const enqueue = (text: string) =>
      sessions.withLocked(session.id, (em, row) =>
        sessions.enqueueWork(em, row, create(WorkItemSchema, { item: { case: "userMessage", value: { messageId: randomUUID(), text } } })),
      );
    await enqueue("first");
    const { d } = await attached(session);
    const one = await d.receive();
    assert.equal(one.seq, 1n);
    assert.equal(one.payload.case === "workItem" && one.payload.value.item.case === "userMessage" && one.payload.value.item.value.text, "first");
    await enqueue("second"); // arrives through the hint, not only at attach
    const two = await d.receive();
    assert.equal(two.seq, 2n);
    d.heartbeat(1n);
    const acked = async () =>
      (await orm.em.fork().execute<{ seq: string }[]>(`select seq from session_work_items where session_id = ? and acked_at is not null order by seq`, [session.id])).map((r) => r.seq);
    assert.deepEqual(await eventually(acked, (s) => s.length === 1), ["1"]);
    d.close();

    const again = daemon(await tokenFor(session));
    again.hello(session.id, { lastAckedControlSeq: 1n, resumed: true });
    assert.equal((await again.receive()).payload.case, "welcome");
    const resent = await again.receive();
    assert.deepEqual([resent.seq, resent.payload.case], [2n, "workItem"]);
    again.send({ ack: 2n, payload: { case: "ready", value: {} } });
    assert.deepEqual(await eventually(acked, (s) => s.length === 2), ["1", "2"]);
  });

  it("moves STARTING → READY on Ready and resets the restart attempts", async () => {
    const session = await newSession();
    await sessions.withLocked(session.id, async (em, row) => {
      await transitionLocked(em, row, "starting", "Scheduled");
      row.restartAttempts = 3;
    });
    const { d } = await attached((await sessions.findById(session.id))!);
    d.send({ payload: { case: "ready", value: {} } });
    const row = await eventually(() => sessions.findById(session.id), (r) => r?.state === "ready");
    assert.deepEqual([row?.state, row?.reason, row?.restartAttempts], ["ready", "DaemonReady", 0]);
  });

  it("moves the session to READY when STARTING is written after the daemon said Ready", async () => {
    const { session, d } = await attached();
    d.send({ payload: { case: "ready", value: {} } });
    d.heartbeat();
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await sessions.findById(session.id))?.state, "pending");
    await sessions.withLocked(session.id, (em, row) => transitionLocked(em, row, "starting", "Scheduled"));
    const row = await eventually(() => sessions.findById(session.id), (r) => r?.state === "ready");
    assert.equal(row?.state, "ready");
  });

  it("asks the daemon to shut down when the session is paused, and ends OK on Goodbye", async () => {
    const { session, d } = await attached();
    await sessions.withLocked(session.id, (em, row) => sessions.setDesired(em, row, "paused"));
    const shutdown = await d.receive();
    assert.equal(shutdown.payload.case, "shutdown");
    assert.equal(shutdown.payload.value.reason, ShutdownReason.PAUSE);
    assert.equal(durationMs(shutdown.payload.value.gracePeriod!), 10_000);
    d.send({ payload: { case: "goodbye", value: { reason: "Shutdown" } } });
    assert.equal(await d.ending(), "OK");
  });

  it("lets a newer attach replace the older stream, which ends ABORTED", async () => {
    const { session, d } = await attached();
    const { d: newer } = await attached((await sessions.findById(session.id))!);
    assert.equal(await d.ending(), Code.Aborted);
    newer.event(1n, "still here");
    await newer.ackedThrough(1n);
  });

  it("fails the session (AgentNotFound) and ends FAILED_PRECONDITION when an agent is missing", async () => {
    const session = await newSession(["ghost"]);
    const d = daemon(await tokenFor(session));
    d.hello(session.id);
    assert.equal(await d.ending(), Code.FailedPrecondition);
    const row = await sessions.findById(session.id);
    assert.deepEqual([row?.state, row?.reason], ["failed", "AgentNotFound"]);
  });

  it("fails the session (SecretNotFound) when a secret key its agents reference is missing", async () => {
    const spec = create(AgentSpecSchema, { model: { provider: ModelProvider.SCRIPTED, apiKey: { secret: "llm", key: "missing-key" } } });
    await new AgentStore(orm).create({ namespace: "default", name: "keyless" }, { spec, labels: {}, annotations: {} });
    const session = await newSession(["keyless"]);
    const d = daemon(await tokenFor(session));
    d.hello(session.id);
    assert.equal(await d.ending(), Code.FailedPrecondition);
    const row = await sessions.findById(session.id);
    assert.deepEqual([row?.state, row?.reason, row?.message], ["failed", "SecretNotFound", 'secret "default/llm" has no key "missing-key"']);
  });

  it("fails the session (VolumeRolledBack) when the daemon has not reached what the control plane committed", async () => {
    const { session, d } = await attached();
    d.event(1n, "x");
    d.event(2n, "y");
    await d.ackedThrough(2n);
    d.close();
    const stale = daemon(await tokenFor(session));
    stale.hello(session.id, { lastDaemonSeq: 1n, resumed: true });
    assert.equal(await stale.ending(), Code.FailedPrecondition);
    assert.equal((await sessions.findById(session.id))?.reason, "VolumeRolledBack");
  });

  describe("with short heartbeats", () => {
    let attach: TestAttachServer;
    const stopping = new AbortController();
    before(async () => {
      attach = await startAttachServer(orm, settings, { options: { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 500 }, stopping: stopping.signal });
    });
    after(async () => {
      await attach?.close();
    });

    it("sends heartbeats, keeps a daemon that heartbeats, and ends a silent one with DEADLINE_EXCEEDED", async () => {
      const session = await newSession([]);
      const d = daemon(await tokenFor(session), attach.url);
      d.hello(session.id);
      assert.equal((await d.receive()).payload.case, "welcome");
      assert.equal((await d.nextRaw()).payload.case, "heartbeat");
      let lastBeat = Date.now();
      const keepAlive = setInterval(() => {
        d.heartbeat();
        lastBeat = Date.now();
      }, 100);
      await new Promise((resolve) => setTimeout(resolve, 1200));
      clearInterval(keepAlive);
      // Had the stream ended while the daemon was heartbeating, it would end here at once.
      assert.equal(await d.ending(), Code.DeadlineExceeded);
      assert.ok(Date.now() - lastBeat >= 450, `ended ${Date.now() - lastBeat} ms after the last heartbeat, not after the 500 ms timeout`);
    });

    it("ends streams UNAVAILABLE when the server stops, so daemons reconnect", async () => {
      const session = await newSession([]);
      const d = daemon(await tokenFor(session), attach.url);
      d.hello(session.id);
      assert.equal((await d.receive()).payload.case, "welcome");
      stopping.abort();
      assert.equal(await d.ending(), Code.Unavailable);
    });
  });
});
