import assert from "node:assert/strict";
import { join } from "node:path";
import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState, ToolCallStatus } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { InheritedTurnSchema, SessionService, TurnOutcome, TurnSchema, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { workspaceSnapshot as snapshot } from "@raworc/test-support/workspace-snapshot.js";

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

const writeFileCall = (id: string, path: string, content: string) => ({ id, name: "write_file", argumentPieces: [JSON.stringify({ path, content })] });
const shellCall = (id: string, command: string) => ({ id, name: "shell", argumentPieces: [JSON.stringify({ command })] });

describe("remix at any turn (real server, real daemons, fake OpenAI-compatible model)", function () {
  this.timeout(240_000);
  let t: TestServer;
  let fake: FakeOpenAi;
  let sessions: Client<typeof SessionService>;

  before(async () => {
    fake = await startFakeOpenAi();
    t = await startTestServer();
    const token = await login(t.url, "admin", t.adminPassword);
    sessions = clientOf(SessionService, t.url, token);
    await clientOf(SecretService, t.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { "api-key": "sk-remix-e2e" } } });
    await clientOf(AgentService, t.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "builder" },
        spec: {
          instructions: "Change files when asked.",
          model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "api-key" } },
          tools: [{ name: "write_file" }, { name: "shell" }],
        },
      },
    });
  });
  after(async () => {
    await t?.stop();
    await fake?.close();
  });

  const ref = (name: string) => ({ namespace: "default", name });
  const get = (name: string) => sessions.getSession({ ref: ref(name) }).then((r) => r.session!);
  const workspace = (s: Session) => join(t.dataDir, "sessions", s.metadata!.uid, "workspace");
  const turnsOf = async (name: string) => (await sessions.listTurns({ ref: ref(name) })).turns;

  /** Sends a message and waits for its turn's end; returns the turn's number and whether each tool call succeeded. */
  async function converse(name: string, text: string): Promise<{ turn: number; tools: boolean[] }> {
    const sent = await sessions.sendMessage({ ref: ref(name), text });
    const abort = new AbortController();
    const tools: boolean[] = [];
    for await (const res of sessions.watchSession({ ref: ref(name), fromSeq: sent.seq }, { signal: abort.signal })) {
      if (res.message.case !== "event") continue;
      const event = res.message.value;
      if (event.payload.case === "toolCallCompleted") tools.push(event.payload.value.status === ToolCallStatus.SUCCEEDED);
      if (event.payload.case === "turnCompleted" || event.payload.case === "turnFailed") {
        abort.abort();
        assert.equal(event.payload.case, "turnCompleted", `turn ${event.turn} of ${name} failed`);
        return { turn: event.turn, tools };
      }
    }
    assert.fail("the watch ended before the turn did");
  }

  it("forks files and conversation at turn 2 of 4 exactly, and leaves the parent as it was", async () => {
    await sessions.createSession({ session: { metadata: { namespace: "default", name: "parent" }, spec: { agents: ["builder"] } } });
    const parent = await eventually("parent READY", () => get("parent"), (s) => s.status?.state === SessionState.READY);
    const steps: { text: string; calls: ReturnType<typeof shellCall>[] }[] = [
      { text: "turn one: start the project", calls: [writeFileCall("c1", "a.txt", "one\n"), writeFileCall("c2", "b.txt", "bee\n"), writeFileCall("c3", "dir/c.txt", "sea\n")] },
      { text: "turn two: rework it", calls: [shellCall("c4", "printf 'two\\n' > a.txt && rm b.txt && mkdir -p empty && ln -s a.txt link && chmod 750 dir")] },
      { text: "turn three: extend it", calls: [writeFileCall("c5", "a.txt", "three\n"), shellCall("c6", "rmdir empty && echo new > new.txt && printf 'bee again\\n' > b.txt")] },
      { text: "turn four: finish it", calls: [shellCall("c7", "rm link dir/c.txt && echo four >> a.txt && chmod 700 dir")] },
    ];
    const states: Record<string, string>[] = [];
    for (const [index, step] of steps.entries()) {
      fake.reply({ toolCalls: step.calls });
      fake.reply({ text: [`done with turn ${index + 1}`] });
      const { turn, tools } = await converse("parent", step.text);
      assert.equal(turn, index + 1);
      assert.deepEqual(tools, step.calls.map(() => true), `every tool call of turn ${turn} succeeded`);
      states.push(await snapshot(workspace(parent)));
    }
    const [, atTwo, , atFour] = states;
    assert.ok(atTwo && atFour);
    assert.notDeepEqual(atTwo, atFour, "the later turns changed, added and deleted files");

    // Every ended turn gets its checkpoint (sent after the turn's end, so it may trail it a little).
    const parentTurns = await eventually("checkpoints of all 4 turns", () => turnsOf("parent"), (turns) => turns.length === 4 && turns.every((turn) => turn.checkpointId !== ""));
    assert.equal(new Set(parentTurns.map((turn) => turn.checkpointId)).size, 4, "each turn's workspace differs, so each checkpoint does");
    const turnTwo = parentTurns[1]!;

    await assert.rejects(sessions.remixSession({ source: ref("parent"), atTurn: 5 }), (error: unknown) => {
      const failure = ConnectError.from(error);
      return failure.code === Code.FailedPrecondition && /turn 5 has no end state yet/.test(failure.rawMessage);
    });

    const { session: child } = await sessions.remixSession({ source: ref("parent"), atTurn: 2, name: "child" });
    assert.deepEqual([child?.lineage?.parent?.name, child?.lineage?.parentTurn, child?.lineage?.checkpointId], ["parent", 2, turnTwo.checkpointId]);
    await eventually("child READY", () => get("child"), (s) => s.status?.state === SessionState.READY);
    assert.deepEqual(await snapshot(workspace(child!)), atTwo, "the child's files are exactly those at the end of turn 2");
    assert.deepEqual(await snapshot(workspace(parent)), atFour, "the parent's files are untouched");
    assert.deepEqual(await turnsOf("parent"), parentTurns, "the parent's turns are untouched");
    const inheritedFrom = create(InheritedTurnSchema, { session: { namespace: "default", name: "parent" }, sessionUid: parent.metadata!.uid });
    assert.deepEqual(
      (await turnsOf("child")).map((turn) => toJson(TurnSchema, turn)),
      parentTurns.slice(0, 2).map((turn) => toJson(TurnSchema, { ...turn, inheritedFrom })),
      "the child lists the parent's turns 1 and 2 as inherited from it, and none of its own yet",
    );
    const childEvents = (await sessions.listEvents({ ref: ref("child") })).events;
    assert.deepEqual(childEvents.filter((event) => event.turn > 0).map((event) => [event.turn, event.payload.case]), [], "the child's log has no event of the parent's turns");
    assert.equal((await get("child")).status?.turnCount, 2);

    // The child's next turn is 3, and the model sees the conversation of turns 1 and 2 only.
    fake.reply({ text: ["continuing from turn two"] });
    const before = fake.requests.length;
    const { turn } = await converse("child", "what next?");
    assert.equal(turn, 3);
    const history = JSON.stringify(fake.requests[before]?.body.messages);
    for (const seen of ["turn one: start the project", "done with turn 1", "turn two: rework it", "done with turn 2", "what next?"]) assert.ok(history.includes(seen), `the model saw "${seen}"`);
    for (const unseen of ["turn three", "turn four", "done with turn 3", "done with turn 4"]) assert.ok(!history.includes(unseen), `the model did not see "${unseen}"`);
    const childTurns = await eventually("the child's turn 3 checkpoint", () => turnsOf("child"), (turns) => turns[2]?.checkpointId !== undefined && turns[2].checkpointId !== "");
    assert.deepEqual(childTurns.map((t) => [t.number, t.outcome, t.inheritedFrom?.session?.name ?? "own"]), [[1, TurnOutcome.COMPLETED, "parent"], [2, TurnOutcome.COMPLETED, "parent"], [3, TurnOutcome.COMPLETED, "own"]]);
  });
});
