import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { AgentService, AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema, SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { RuntimeKind, SessionService, TurnOutcome, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startSessionApi, type SessionApiHarness } from "./session-service-harness.js";
import { TurnCheckpointSchema } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { storeSequenced } from "../sessions/attach/daemon-messages.js";
import { appendDaemonEvents, appendEvent, transitionLocked } from "../sessions/event-log.js";
import { Notifier } from "../sessions/notifier.js";
import type { SessionStore } from "../sessions/session-store.js";
import type { SessionStateName } from "../sessions/state-machine.js";
import { watchSessionEvents } from "../sessions/watch.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

const agentSpec = () =>
  create(AgentSpecSchema, { model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "Hi." } }] }] } } });

const daemonEvent = (turn: number, payload: SessionEvent["payload"], agent = "greeter"): SessionEvent => create(SessionEventSchema, { turn, agent, payload });

describe("SessionService (served on port 0, real PostgreSQL, states moved by hand)", function () {
  let h: SessionApiHarness;
  let admin: Client<typeof SessionService>;
  let store: SessionStore;

  before(async () => {
    h = await startSessionApi();
    admin = h.clientAs("admin");
    store = h.store;
    await h.addNamespace("team-b");
    await h.addAgent("default", "greeter");
    await h.addAgent("default", "helper");
    await h.addAgent("team-b", "only-b");
  });
  after(async () => h?.stop());

  const newSession = async (name: string, extra: { prompt?: string; labels?: Record<string, string>; namespace?: string; agents?: string[] } = {}) =>
    (
      await admin.createSession({
        session: {
          metadata: { name, namespace: extra.namespace ?? "default", labels: extra.labels ?? {} },
          spec: { agents: extra.agents ?? ["greeter"], initialPrompt: extra.prompt ?? "", resources: { cpu: "500m" } },
        },
      })
    ).session!;
  const ref = (name: string, namespace = "default") => ({ namespace, name });
  const idOf = (s: Session) => s.metadata!.uid;
  const desiredOf = async (s: Session) => (await store.findById(idOf(s)))!.desired;
  const moveTo = async (s: Session, ...states: SessionStateName[]) => {
    for (const state of states) await store.withLocked(idOf(s), (em, row) => transitionLocked(em, row, state, "Test"));
  };
  const workKinds = async (s: Session) =>
    (await h.orm.em.fork().execute<{ kind: string }[]>(`select kind from session_work_items where session_id = ? order by seq`, [idOf(s)])).map((r) => r.kind);
  const daemonSends = (s: Session, ...events: SessionEvent[]) =>
    store.withLocked(idOf(s), (em, row) =>
      appendDaemonEvents(em, row, events.map((event, i) => ({ daemonSeq: BigInt(row.lastDaemonSeq) + BigInt(i + 1), event }))),
    );

  const daemonCheckpoints = (s: Session, turn: number, checkpointId: string) =>
    store.withLocked(idOf(s), (em, row) =>
      storeSequenced(em, row, [{ seq: BigInt(row.lastDaemonSeq) + 1n, kind: "checkpoint", checkpoint: create(TurnCheckpointSchema, { turn, checkpointId, fileCount: 1n }) }]),
    );

  it("creates a PENDING session whose initial prompt is its first event (a UserMessage) and its first work item", async () => {
    const s = await newSession("first", { prompt: "hello there\nsecond line", labels: { team: "a" } });
    assert.equal(s.status?.state, SessionState.PENDING);
    assert.equal(s.status?.runtime?.kind, RuntimeKind.PROCESS);
    assert.deepEqual(s.spec?.agents, ["greeter"]);
    assert.equal(s.spec?.resources?.cpu, "500m");
    assert.deepEqual(s.metadata?.labels, { team: "a" });
    assert.deepEqual([s.creator?.kind, s.creator?.name, s.creator?.namespace], ["ServiceAccount", "admin", ""]);
    assert.equal(s.lineage, undefined);
    const events = (await admin.listEvents({ ref: ref("first") })).events;
    assert.equal(events.length, 1);
    const message = events[0]!;
    assert.equal(message.seq, 1n);
    assert.equal(message.payload.case, "userMessage");
    if (message.payload.case === "userMessage") {
      assert.equal(message.payload.value.text, "hello there\nsecond line");
      assert.equal(message.payload.value.sender?.name, "admin");
      assert.match(message.payload.value.messageId, /^[0-9a-f-]{36}$/);
    }
    assert.equal(s.status?.lastEventSeq, 1n);
    assert.deepEqual(await workKinds(s), ["userMessage"]);
    assert.equal(await desiredOf(s), "running");

    const unnamed = (await admin.createSession({ session: { metadata: { namespace: "default" }, spec: { agents: ["greeter"] } } })).session!;
    assert.match(unnamed.metadata?.name ?? "", /^session-[0-9a-f]{8}$/);
    assert.deepEqual(await workKinds(unnamed), [], "no prompt, no work");
    assert.equal((await failure(newSession("first"))).code, Code.AlreadyExists);
  });

  it("refuses an unknown agent and an agent of another namespace with NOT_FOUND naming it, and creates nothing", async () => {
    const unknown = await failure(newSession("nope", { agents: ["greeter", "ghost"] }));
    assert.equal(unknown.code, Code.NotFound);
    assert.match(unknown.rawMessage, /Agent "default\/ghost" not found/);
    const elsewhere = await failure(newSession("nope", { agents: ["only-b"] }));
    assert.equal(elsewhere.code, Code.NotFound);
    assert.match(elsewhere.rawMessage, /Agent "default\/only-b" not found/);
    const noNamespace = await failure(newSession("nope", { namespace: "no-such-ns" }));
    assert.equal(noNamespace.code, Code.FailedPrecondition);
    assert.equal((await failure(admin.getSession({ ref: ref("nope") }))).code, Code.NotFound);
    const noAgents = await failure(admin.createSession({ session: { metadata: { namespace: "default", name: "empty" }, spec: { agents: [] } } }));
    assert.equal(noAgents.code, Code.InvalidArgument);
  });

  it("gets and lists sessions by state, creator, parent and labels, showing TERMINATED ones only when asked", async () => {
    const bob = h.clientAs("default/bob");
    const bobs = (await bob.createSession({ session: { metadata: { namespace: "default", name: "list-bob" }, spec: { agents: ["greeter"] } } })).session!;
    assert.deepEqual([bobs.creator?.namespace, bobs.creator?.name], ["default", "bob"]);
    const ready = await newSession("list-ready", { labels: { tier: "x" } });
    await moveTo(ready, "starting", "ready");
    const gone = await newSession("list-gone");
    await moveTo(gone, "terminating", "terminated");
    const child = (await admin.remixSession({ source: ref("list-ready"), name: "list-child" })).session!;

    const got = (await admin.getSession({ ref: ref("list-ready") })).session!;
    assert.equal(got.status?.state, SessionState.READY);
    assert.deepEqual(
      got.status?.transitions.map((tr) => [tr.from, tr.to, tr.reason]),
      [
        [SessionState.PENDING, SessionState.STARTING, "Test"],
        [SessionState.STARTING, SessionState.READY, "Test"],
      ],
    );

    const names = async (req: Parameters<typeof admin.listSessions>[0]) => (await admin.listSessions(req)).sessions.map((s) => s.metadata!.name).filter((n) => n.startsWith("list-"));
    assert.deepEqual(await names({ namespace: "default" }), ["list-bob", "list-child", "list-ready"], "TERMINATED hidden by default");
    assert.deepEqual(await names({ states: [SessionState.TERMINATED] }), ["list-gone"]);
    assert.deepEqual(await names({ states: [SessionState.READY, SessionState.TERMINATED] }), ["list-gone", "list-ready"]);
    assert.deepEqual(await names({ creator: "default/bob" }), ["list-bob"]);
    assert.deepEqual(await names({ creator: "admin" }), ["list-child", "list-ready"]);
    assert.deepEqual(await names({ namespace: "default", parent: "list-ready" }), ["list-child"]);
    assert.deepEqual(await names({ namespace: "default", parent: "no-such-session" }), []);
    assert.deepEqual(await names({ labelSelector: "tier=x" }), ["list-ready"]);
    assert.equal(child.lineage?.parent?.name, "list-ready");
    const paged = await admin.listSessions({ namespace: "default", pageSize: 1 });
    assert.equal(paged.sessions.length, 1);
    assert.notEqual(paged.nextPageToken, "");
    const rest = await admin.listSessions({ namespace: "default", pageSize: 1000, pageToken: paged.nextPageToken });
    assert.ok(!rest.sessions.some((s) => s.metadata?.name === paged.sessions[0]?.metadata?.name), "pages do not overlap");
  });

  it("pause, resume and delete change the desired state; delete is idempotent, keeps retain_volume, and ends what may be asked", async () => {
    const s = await newSession("lifecycle");
    await moveTo(s, "starting", "ready");
    const paused = (await admin.pauseSession({ ref: ref("lifecycle") })).session!;
    assert.equal(paused.status?.state, SessionState.READY, "the reconciler, not the handler, moves the state");
    assert.equal(await desiredOf(s), "paused");
    await admin.pauseSession({ ref: ref("lifecycle") });
    assert.equal(await desiredOf(s), "paused", "idempotent");
    await admin.resumeSession({ ref: ref("lifecycle") });
    assert.equal(await desiredOf(s), "running");

    await admin.deleteSession({ ref: ref("lifecycle"), retainVolume: true });
    assert.equal(await desiredOf(s), "terminated");
    assert.equal((await store.findById(idOf(s)))!.volumeRetained, true);
    await admin.deleteSession({ ref: ref("lifecycle") });
    assert.equal((await store.findById(idOf(s)))!.volumeRetained, true, "the first delete decides");
    for (const call of [
      () => admin.pauseSession({ ref: ref("lifecycle") }),
      () => admin.resumeSession({ ref: ref("lifecycle") }),
      () => admin.sendMessage({ ref: ref("lifecycle"), text: "still there?" }),
    ]) {
      const error = await failure(call());
      assert.equal(error.code, Code.FailedPrecondition);
      assert.match(error.rawMessage, /TERMINATING/);
    }
    await moveTo(s, "terminating", "terminated");
    const done = (await admin.deleteSession({ ref: ref("lifecycle") })).session!;
    assert.equal(done.status?.state, SessionState.TERMINATED);
    assert.equal(done.status?.volumeRetained, true);
    const refused = await failure(admin.sendMessage({ ref: ref("lifecycle"), text: "hello?" }));
    assert.equal(refused.code, Code.FailedPrecondition);
    assert.match(refused.rawMessage, /TERMINATED/);
    assert.deepEqual(await workKinds(s), [], "nothing was queued");
    assert.equal((await failure(admin.deleteSession({ ref: ref("no-such-session") }))).code, Code.NotFound);
  });

  it("a session's name is free once its deletion has finished (TERMINATED), not before; the deleted ones stay readable until the name is taken", async () => {
    const first = await newSession("reused", { prompt: "from the first" });
    await admin.deleteSession({ ref: ref("reused") });
    await moveTo(first, "terminating");
    assert.equal((await failure(newSession("reused"))).code, Code.AlreadyExists, "TERMINATING still holds the name");
    await moveTo(first, "terminated");
    const deleted = (await admin.getSession({ ref: ref("reused") })).session!;
    assert.deepEqual([idOf(deleted), deleted.status?.state], [idOf(first), SessionState.TERMINATED], "a deleted session says so until its name is taken");

    const second = await newSession("reused", { prompt: "from the second" });
    assert.notEqual(idOf(second), idOf(first));
    const got = (await admin.getSession({ ref: ref("reused") })).session!;
    assert.deepEqual([idOf(got), got.status?.state], [idOf(second), SessionState.PENDING], "the name means the live session");
    const events = (await admin.listEvents({ ref: ref("reused") })).events;
    assert.deepEqual(events.map((e) => (e.payload.case === "userMessage" ? e.payload.value.text : "")), ["from the second"], "the new session's history");
    assert.equal((await failure(newSession("reused"))).code, Code.AlreadyExists, "a live session holds its name");

    await admin.deleteSession({ ref: ref("reused") });
    await moveTo(second, "terminating", "terminated");
    assert.equal(idOf((await admin.getSession({ ref: ref("reused") })).session!), idOf(second), "the newest deleted one");
    const third = await newSession("reused");
    await moveTo(third, "terminating", "terminated");
    const terminated = async (pageToken = ""): Promise<string[]> => {
      const page = await admin.listSessions({ namespace: "default", states: [SessionState.TERMINATED], pageSize: 1, pageToken });
      const here = page.sessions.filter((x) => x.metadata?.name === "reused").map(idOf);
      return page.nextPageToken ? [...here, ...(await terminated(page.nextPageToken))] : here;
    };
    assert.deepEqual(new Set(await terminated()), new Set([idOf(first), idOf(second), idOf(third)]), "pages of one session each skip none of the three that share the name");
    const forged = Buffer.from(JSON.stringify(["default", "reused", "not-a-uuid"])).toString("base64url");
    await admin.listSessions({ namespace: "default", states: [SessionState.TERMINATED], pageToken: forged });
  });

  it("a message to a PAUSED session resumes it and waits as one work item; the idempotency key makes a retry return the first result", async () => {
    const s = await newSession("paused-msg");
    await moveTo(s, "starting", "ready", "pausing", "paused");
    await admin.pauseSession({ ref: ref("paused-msg") });
    assert.equal(await desiredOf(s), "paused");
    const first = await admin.sendMessage({ ref: ref("paused-msg"), text: "wake up", idempotencyKey: "k-1" });
    assert.equal(await desiredOf(s), "running", "resumed first");
    const again = await admin.sendMessage({ ref: ref("paused-msg"), text: "wake up", idempotencyKey: "k-1" });
    assert.deepEqual([again.messageId, again.seq], [first.messageId, first.seq]);
    const other = await admin.sendMessage({ ref: ref("paused-msg"), text: "and again", agent: "greeter" });
    assert.notEqual(other.messageId, first.messageId);
    assert.equal(other.seq, first.seq + 1n);
    assert.deepEqual(await workKinds(s), ["userMessage", "userMessage"], "the retry sent nothing");
    const stored = (await admin.listEvents({ ref: ref("paused-msg"), fromSeq: first.seq - 1n, limit: 1 })).events[0]!;
    assert.equal(stored.payload.case === "userMessage" && stored.payload.value.messageId, first.messageId);

    const wrongAgent = await failure(admin.sendMessage({ ref: ref("paused-msg"), text: "hi", agent: "helper" }));
    assert.equal(wrongAgent.code, Code.InvalidArgument);
    const big = await failure(admin.sendMessage({ ref: ref("paused-msg"), text: "x".repeat(256 * 1024 + 1) }));
    assert.equal(big.code, Code.InvalidArgument);
    assert.deepEqual(await workKinds(s), ["userMessage", "userMessage"], "refused messages queue nothing");
  });

  it("ListEvents pages by from_seq, limit and turn; ListTurns derives the turn history from the events", async () => {
    const s = await newSession("history", { prompt: "first question\nwith details" });
    await moveTo(s, "starting", "ready");
    const [prompt] = (await admin.listEvents({ ref: ref("history") })).events;
    const firstId = prompt?.payload.case === "userMessage" ? prompt.payload.value.messageId : "";
    await daemonSends(
      s,
      daemonEvent(1, { case: "turnStarted", value: { messageId: firstId } as never }),
      daemonEvent(1, { case: "textDelta", value: { text: "Hel" } as never }),
      daemonEvent(1, { case: "textDelta", value: { text: "lo" } as never }),
      daemonEvent(1, { case: "turnCompleted", value: { usage: { inputTokens: 10n, outputTokens: 2n }, stopReason: "end_turn" } as never }),
    );
    const second = await admin.sendMessage({ ref: ref("history"), text: "second" });
    await daemonSends(
      s,
      daemonEvent(2, { case: "turnStarted", value: { messageId: second.messageId } as never }, "helper"),
      daemonEvent(2, { case: "turnFailed", value: { reason: "ModelError", message: "boom" } as never }, "helper"),
      daemonEvent(3, { case: "turnStarted", value: { messageId: second.messageId } as never }),
    );

    const all = await admin.listEvents({ ref: ref("history") });
    assert.deepEqual(all.events.map((e) => e.seq), Array.from({ length: all.events.length }, (_, i) => BigInt(i + 1)));
    assert.equal(all.hasMore, false);
    const page = await admin.listEvents({ ref: ref("history"), fromSeq: 2n, limit: 3 });
    assert.deepEqual([page.events.map((e) => e.seq), page.hasMore], [[3n, 4n, 5n], true]);
    const turn1 = await admin.listEvents({ ref: ref("history"), turn: 1 });
    assert.deepEqual(turn1.events.map((e) => e.payload.case), ["turnStarted", "textDelta", "textDelta", "turnCompleted"]);

    const turns = (await admin.listTurns({ ref: ref("history") })).turns;
    assert.deepEqual(
      turns.map((tn) => [tn.number, tn.agent, tn.outcome, tn.summary]),
      [
        [1, "greeter", TurnOutcome.COMPLETED, "first question"],
        [2, "helper", TurnOutcome.FAILED, "second"],
        [3, "greeter", TurnOutcome.RUNNING, "second"],
      ],
    );
    assert.equal(turns[0]?.messageId, firstId);
    assert.equal(turns[0]?.usage?.inputTokens, 10n);
    assert.equal(turns[0]?.lastSeq, turn1.events.at(-1)?.seq);
    assert.equal(turns[0]?.firstSeq, turn1.events[0]?.seq);
    assert.ok(turns[0]?.endedAt && !turns[2]?.endedAt);
    const firstPage = await admin.listTurns({ ref: ref("history"), pageSize: 2 });
    assert.deepEqual(firstPage.turns.map((tn) => tn.number), [1, 2]);
    const rest = await admin.listTurns({ ref: ref("history"), pageSize: 2, pageToken: firstPage.nextPageToken });
    assert.deepEqual([rest.turns.map((tn) => tn.number), rest.nextPageToken], [[3], ""]);
    const got = (await admin.getSession({ ref: ref("history") })).session!;
    assert.deepEqual([got.status?.state, got.status?.turnCount, got.status?.activeTurn], [SessionState.BUSY, 2, 3]);
  });

  it("CancelTurn queues a cancellation for the running turn only; ApproveToolCall needs a pending call", async () => {
    const s = await newSession("cancel");
    await moveTo(s, "starting", "ready");
    assert.equal((await admin.cancelTurn({ ref: ref("cancel") })).turn, 0, "nothing runs: not an error");
    await daemonSends(s, daemonEvent(1, { case: "turnStarted", value: {} as never }));
    assert.equal((await admin.cancelTurn({ ref: ref("cancel"), turn: 2 })).turn, 0, "another turn runs");
    const noneWaiting = await failure(admin.approveToolCall({ ref: ref("cancel"), toolCallId: "call-1", approve: true }));
    assert.equal(noneWaiting.code, Code.FailedPrecondition);
    await daemonSends(s, daemonEvent(1, { case: "approvalRequested", value: { toolCallId: "call-1", tool: "shell", argumentsJson: "{}", reason: "policy" } as never }));
    const pending = (await admin.getSession({ ref: ref("cancel") })).session!.status?.pendingApprovals ?? [];
    assert.deepEqual(pending.map((p) => [p.toolCallId, p.tool, p.turn]), [["call-1", "shell", 1]]);
    await admin.approveToolCall({ ref: ref("cancel"), toolCallId: "call-1", approve: true, reason: "fine" });
    assert.equal((await admin.cancelTurn({ ref: ref("cancel"), reason: "enough" })).turn, 1);
    assert.deepEqual(await workKinds(s), ["approvalDecision", "cancelTurn"]);
  });

  it("RemixSession creates a PENDING child with the source's agents and resources and lineage (parent, turn); the source is unchanged", async () => {
    const source = await newSession("remix-src", { agents: ["greeter", "helper"], labels: { from: "source" } });
    const pendingSource = await failure(admin.remixSession({ source: ref("remix-src") }));
    assert.equal(pendingSource.code, Code.FailedPrecondition);
    await moveTo(source, "starting", "ready");
    await daemonSends(source, daemonEvent(1, { case: "turnStarted", value: {} as never }), daemonEvent(1, { case: "turnCompleted", value: {} as never }));
    const before = (await admin.getSession({ ref: ref("remix-src") })).session!;

    const child = (await admin.remixSession({ source: ref("remix-src"), name: "remix-child", labels: { kid: "yes" }, initialPrompt: "continue" })).session!;
    assert.equal(child.status?.state, SessionState.PENDING);
    assert.deepEqual(child.spec?.agents, ["greeter", "helper"]);
    assert.equal(child.spec?.resources?.cpu, "500m");
    assert.deepEqual(child.metadata?.labels, { kid: "yes" });
    assert.deepEqual([child.lineage?.parent?.namespace, child.lineage?.parent?.name, child.lineage?.parentUid, child.lineage?.parentTurn], ["default", "remix-src", idOf(source), 1]);
    assert.equal(child.status?.turnCount, 1, "turn numbers continue the source's");
    const childEvents = (await admin.listEvents({ ref: ref("remix-child") })).events;
    assert.deepEqual(childEvents.map((e) => e.payload.case), ["userMessage"], "the child's log starts with its own events only");
    const row = await store.findById(idOf(child));
    assert.deepEqual([row?.parentId, row?.parentTurn], [idOf(source), 1]);
    const after = (await admin.getSession({ ref: ref("remix-src") })).session!;
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, "the source is unchanged");

    const notYet = await failure(admin.remixSession({ source: ref("remix-src"), atTurn: 2 }));
    assert.equal(notYet.code, Code.FailedPrecondition);
    assert.match(notYet.rawMessage, /has ended 1 turn: turn 2 has no end state yet/);
    const noCheckpoint = await failure(admin.remixSession({ source: ref("remix-src"), atTurn: 1 }));
    assert.equal(noCheckpoint.code, Code.FailedPrecondition);
    assert.match(noCheckpoint.rawMessage, /turn 1 of session "default\/remix-src" has no checkpoint/);
    const unended = await failure(daemonCheckpoints(source, 2, "b".repeat(64)));
    assert.equal(unended.code, Code.InvalidArgument, "a checkpoint of a turn that has not ended is refused");
    const checkpointId = "a".repeat(64);
    await daemonCheckpoints(source, 1, checkpointId);
    assert.deepEqual((await admin.listTurns({ ref: ref("remix-src") })).turns.map((t) => [t.number, t.checkpointId]), [[1, checkpointId]]);
    const generated = (await admin.remixSession({ source: ref("remix-src"), atTurn: 1 })).session!;
    assert.match(generated.metadata?.name ?? "", /^session-/);
    assert.deepEqual([generated.lineage?.parentTurn, generated.lineage?.checkpointId], [1, checkpointId]);
    const inherited = await h.orm.em.fork().execute<{ turn: number; checkpoint_id: string }[]>(`select turn, checkpoint_id from session_checkpoints where session_id = ?`, [idOf(generated)]);
    assert.deepEqual(inherited, [{ turn: 1, checkpoint_id: checkpointId }], "a remix of the remix can start from the inherited turn");

    await admin.deleteSession({ ref: ref("remix-src") });
    const deleted = await failure(admin.remixSession({ source: ref("remix-src") }));
    assert.equal(deleted.code, Code.FailedPrecondition);
    assert.match(deleted.rawMessage, /volume/);
    assert.equal((await failure(admin.remixSession({ source: ref("no-such-session") }))).code, Code.NotFound);
  });

  it("ListTurns of a remix lists the turns it inherited first, each marked with the ancestor that took it, along a chain of remixes and across pages", async () => {
    const completed = async (s: Session, turn: number, text: string) => {
      const sent = await admin.sendMessage({ ref: ref(s.metadata!.name), text });
      await daemonSends(s, daemonEvent(turn, { case: "turnStarted", value: { messageId: sent.messageId } as never }), daemonEvent(turn, { case: "turnCompleted", value: {} as never }));
      await daemonCheckpoints(s, turn, String(turn).repeat(64).slice(0, 64));
    };
    const a = await newSession("line-a");
    await moveTo(a, "starting", "ready");
    for (const turn of [1, 2, 3]) await completed(a, turn, `a${turn}`);
    const b = (await admin.remixSession({ source: ref("line-a"), atTurn: 2, name: "line-b" })).session!;
    await moveTo(b, "starting", "ready");
    for (const turn of [3, 4]) await completed(b, turn, `b${turn}`);
    const c = (await admin.remixSession({ source: ref("line-b"), name: "line-c" })).session!;
    await moveTo(c, "starting", "ready");
    await completed(c, 5, "c5");

    const history = async (name: string, pageSize = 0) => {
      const rows: string[] = [];
      let pageToken = "";
      do {
        const page = await admin.listTurns({ ref: ref(name), pageSize, pageToken });
        if (pageSize) assert.ok(page.turns.length <= pageSize);
        rows.push(...page.turns.map((t) => `${t.number} ${t.summary} ${t.inheritedFrom ? `from ${t.inheritedFrom.session?.name} ${t.inheritedFrom.sessionUid}` : "own"} ${t.checkpointId.slice(0, 1)}`));
        pageToken = page.nextPageToken;
      } while (pageToken);
      return rows;
    };
    const expectedC = [`1 a1 from line-a ${idOf(a)} 1`, `2 a2 from line-a ${idOf(a)} 2`, `3 b3 from line-b ${idOf(b)} 3`, `4 b4 from line-b ${idOf(b)} 4`, "5 c5 own 5"];
    assert.deepEqual(await history("line-c"), expectedC, "each turn from the log of the session that took it; checkpoints are the remix's own copies");
    for (const pageSize of [1, 2, 3]) assert.deepEqual(await history("line-c", pageSize), expectedC, `pages of ${pageSize}`);
    assert.deepEqual(await history("line-b"), [`1 a1 from line-a ${idOf(a)} 1`, `2 a2 from line-a ${idOf(a)} 2`, "3 b3 own 3", "4 b4 own 4"], "a's turn 3 came after the fork: not b's");
    assert.deepEqual(await history("line-a"), ["1 a1 own 1", "2 a2 own 2", "3 a3 own 3"]);

    const d = (await admin.remixSession({ source: ref("line-c"), atTurn: 1, name: "line-d" })).session!;
    assert.equal(d.lineage?.parentTurn, 1);
    assert.deepEqual(await history("line-d"), [`1 a1 from line-a ${idOf(a)} 1`], "a remix at an inherited turn takes nothing of its source's own turns");
    const inherited = (await admin.listTurns({ ref: ref("line-c") })).turns[0]!;
    const original = (await admin.listEvents({ ref: ref("line-a"), turn: 1 })).events;
    assert.deepEqual([inherited.firstSeq, inherited.lastSeq], [original[0]?.seq, original.at(-1)?.seq], "seqs in the ancestor's log");
  });

  it("WatchSession from a cursor under concurrent writers: each watcher gets every seq after its cursor exactly once, in order, then ends OK at TERMINATED", async function () {
    this.timeout(120_000);
    const s = await newSession("watched");
    const log = (text: string) => ({ payload: { case: "log" as const, value: { message: text } as never } });
    const write = (text: string) => store.withLocked(idOf(s), async (em, row) => void (await appendEvent(em, row, log(text))));
    for (let i = 0; i < 30; i++) await write(`before-${i}`);

    const watch = async (fromSeq: bigint) => {
      const seqs: bigint[] = [];
      for await (const res of admin.watchSession({ ref: ref("watched"), fromSeq })) {
        if (res.message.case === "event") seqs.push(res.message.value.seq);
      }
      return seqs;
    };
    const fromStart = watch(0n);
    const fromMiddle = watch(15n);
    const writers = Array.from({ length: 6 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 40; i++) {
          await write(`w${w}-${i}`);
          if (i % 7 === 0) await new Promise((r) => setTimeout(r, Math.random() * 20));
        }
      })(),
    );
    await Promise.all(writers);
    await moveTo(s, "terminating", "terminated");
    const last = BigInt((await store.findById(idOf(s)))!.lastEventSeq);
    assert.equal(last, 30n + 240n + 2n);
    const range = (from: bigint) => Array.from({ length: Number(last - from) }, (_, i) => from + BigInt(i + 1));
    assert.deepEqual(await fromStart, range(0n));
    assert.deepEqual(await fromMiddle, range(15n));
    assert.deepEqual(await watch(last - 1n), [last], "a watch of a TERMINATED session replays and ends");
    const missing = await failure(
      (async () => {
        for await (const res of admin.watchSession({ ref: ref("no-such-session") })) assert.fail(`unexpected ${res.message.case}`);
      })(),
    );
    assert.equal(missing.code, Code.NotFound);
  });

  it("a quiet watch sends heartbeats with the last seq, and ends when the client goes away", async () => {
    const s = await newSession("quiet", { prompt: "hi" });
    const notifier = new Notifier(h.databaseUrl);
    await notifier.start();
    try {
      const client = new AbortController();
      const seen: string[] = [];
      const watching = (async () => {
        for await (const res of watchSessionEvents({ orm: h.orm, notifier }, idOf(s), 0n, client.signal, { heartbeatMs: 100, pollMs: 50 })) {
          seen.push(res.message.case === "heartbeat" ? `heartbeat@${res.message.value.lastEventSeq}` : `event@${res.message.value?.seq}`);
          if (seen.length === 3) client.abort();
        }
      })();
      await watching;
      assert.deepEqual(seen, ["event@1", "heartbeat@1", "heartbeat@1"]);
    } finally {
      await notifier.close();
    }
  });

  it("a server that stops ends open watches with UNAVAILABLE, so clients resume from their cursor elsewhere", async () => {
    await newSession("survivor", { prompt: "hi" });
    const seqs: bigint[] = [];
    const watching = failure(
      (async () => {
        for await (const res of admin.watchSession({ ref: ref("survivor") })) if (res.message.case === "event") seqs.push(res.message.value.seq);
      })(),
    );
    while (seqs.length === 0) await new Promise((r) => setTimeout(r, 20));
    h.shutdown();
    const ended = await watching;
    assert.equal(ended.code, Code.Unavailable);
    assert.match(ended.rawMessage, /watch again from seq 1/);
    assert.deepEqual(seqs, [1n]);
  });
});

describe("SessionService authorization (the full server)", function () {
  let t: TestServer;
  after(async () => t?.stop());

  it("refuses to remix or read a session in a namespace the caller cannot read (PERMISSION_DENIED)", async () => {
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    await clientOf(NamespaceService, t.url, token).createNamespace({ namespace: { metadata: { name: "team-b" } } });
    await clientOf(AgentService, t.url, token).createAgent({ agent: { metadata: { namespace: "team-b", name: "only-b" }, spec: agentSpec() } });
    await clientOf(SessionService, t.url, token).createSession({ session: { metadata: { namespace: "team-b", name: "b-source" }, spec: { agents: ["only-b"] } } });
    await clientOf(ServiceAccountService, t.url, token).createServiceAccount({
      serviceAccount: { metadata: { namespace: "default", name: "bob" }, active: true },
      password: "bob-password-123",
    });
    await clientOf(RbacService, t.url, token).createRoleBinding({
      roleBinding: {
        metadata: { namespace: "default", name: "bob-developer" },
        roleRef: { scope: RoleScope.GLOBAL, name: "developer" },
        subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "default", name: "bob" }],
      },
    });
    const bob = clientOf(SessionService, t.url, await login(t.url, "default/bob", "bob-password-123"));
    const ref = { namespace: "team-b", name: "b-source" };
    for (const call of [() => bob.remixSession({ source: ref, name: "mine" }), () => bob.getSession({ ref }), () => bob.sendMessage({ ref, text: "hi" })]) {
      assert.equal((await failure(call())).code, Code.PermissionDenied);
    }
    const adminSessions = clientOf(SessionService, t.url, token);
    assert.deepEqual((await adminSessions.listSessions({ namespace: "team-b" })).sessions.map((s) => s.metadata?.name), ["b-source"], "nothing was created");
    assert.deepEqual((await bob.listSessions({})).sessions, [], "bob's list shows no session of team-b");
  });
});
