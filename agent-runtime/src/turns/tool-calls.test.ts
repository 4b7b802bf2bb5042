import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { McpServerSpecSchema, ToolSpecSchema, type Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema, ToolCallCompletedSchema, ToolCallStartedSchema, ToolCallStatus, TurnStartedSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { outboxEventSink, sessionEvent } from "../channel/event-sink.js";
import { Outbox } from "../channel/outbox.js";
import { TurnCancelledError } from "../errors.js";
import { ConversationLog, type ToolResultEntry } from "../state/conversation-log.js";
import { script, scriptedAgent, silentLogger, step, tempVolume, type TempVolume } from "../testing/fixtures.js";
import { openSession, type SessionHarness } from "../testing/session-harness.js";
import { SessionTools } from "../tools/session-tools.js";
import { interruptedToolOutput, recoverTurns } from "./recovery.js";
import { agentTools } from "./tool-calls.js";

/** `agent` with the built-in tools `names` enabled (`timeoutMs` for each, when given). */
function withTools(agent: Agent, names: string[], timeoutMs?: number): Agent {
  assert.ok(agent.spec);
  agent.spec.tools = names.map((name) => create(ToolSpecSchema, { name, ...(timeoutMs ? { timeout: durationFromMs(timeoutMs) } : {}) }));
  return agent;
}

/** A compact view of events: "kind[:detail]". */
function view(events: SessionEvent[]): string[] {
  return events.map(({ payload }) => {
    switch (payload.case) {
      case "toolCallStarted":
        return `started:${payload.value.tool}`;
      case "toolCallCompleted":
        return `tool:${payload.value.tool}:${ToolCallStatus[payload.value.status]}`;
      case "textDelta":
        return `text:${payload.value.text}`;
      case "turnFailed":
        return `failed:${payload.value.reason}`;
      default:
        return payload.case ?? "";
    }
  });
}

/** The event written under `seq`, if any. */
function eventAt(outbox: Outbox, seq: bigint): SessionEvent | undefined {
  const payload = outbox.get(seq)?.payload;
  return payload?.case === "event" ? payload.value : undefined;
}

const ended = (event: SessionEvent): boolean =>
  event.payload.case === "turnCompleted" || event.payload.case === "turnFailed" || event.payload.case === "turnCancelled";

function results(conversation: ConversationLog): ToolResultEntry[] {
  return conversation.entries.filter((entry): entry is ToolResultEntry => entry.kind === "tool_result");
}

describe("tool calls in a turn", () => {
  let session: SessionHarness | undefined;
  afterEach(async () => {
    await session?.close();
    session = undefined;
  });

  it("offers the spec's built-in tools, handoff and knowledge_search with their limits and approval rules", async () => {
    const agent = withTools(scriptedAgent("helper", script()), ["write_file", "shell", "handoff", "knowledge_search"]);
    assert.ok(agent.spec);
    const shell = agent.spec.tools[1];
    assert.ok(shell);
    shell.requireApproval = true;
    // A server without a transport cannot be reached: reported, and its tools are simply absent.
    agent.spec.mcpServers = [create(McpServerSpecSchema, { name: "github" })];
    const volume = await tempVolume();
    const sessionTools = new SessionTools({ workspace: volume.workspace, secret: () => undefined });
    const reports: string[] = [];
    try {
      const tools = await agentTools(agent.spec, {
        agent: "helper",
        agents: [agent],
        sessionTools,
        report: (level, source, message) => Promise.resolve(void reports.push(`${level} ${source}: ${message}`)),
      });
      assert.deepEqual(tools.definitions.map((definition) => definition.name), ["write_file", "shell", "handoff", "knowledge_search"]);
      assert.deepEqual(tools.unavailable, []);
      assert.equal(tools.lookup("shell")?.limits.timeoutMs, 120_000);
      assert.deepEqual([tools.lookup("shell")?.requiresApproval, tools.lookup("write_file")?.requiresApproval], [true, false]);
      assert.deepEqual(reports, ['error mcp:github: MCP server "github" names no transport']);
    } finally {
      await sessionTools.close();
      await volume.remove();
    }
  });

  it("writes a file with write_file, reads it back with read_file, records both results, then replies", async () => {
    const steps = [
      step.toolCall("write_file", JSON.stringify({ path: "notes/hello.txt", content: "hello from a tool" })),
      step.text("wrote it. "),
      step.toolCall("read_file", JSON.stringify({ path: "notes/hello.txt" })),
      step.text("done"),
    ];
    session = await openSession([withTools(scriptedAgent("helper", script(["", steps])), ["write_file", "read_file"])]);
    session.loop.start();
    await session.say("write and read");
    const completed = await session.waitFor(ended);
    assert.deepEqual(view(session.events()), [
      "turnStarted",
      "started:write_file",
      "tool:write_file:SUCCEEDED",
      "text:wrote it. ",
      "started:read_file",
      "tool:read_file:SUCCEEDED",
      "text:done",
      "turnCompleted",
    ]);
    assert.equal(await readFile(join(session.volume.workspace, "notes/hello.txt"), "utf8"), "hello from a tool");
    const [write, read] = results(session.conversation);
    assert.equal(write?.outcome, "succeeded");
    assert.match(read?.output ?? "", /hello from a tool/);
    const readEvent = session.events().find((event) => event.payload.case === "toolCallCompleted" && event.payload.value.tool === "read_file");
    assert.match(readEvent?.payload.case === "toolCallCompleted" ? readEvent.payload.value.output : "", /hello from a tool/);
    // Each result is recorded under the seq of its ToolCallCompleted, so recovery can write it again.
    assert.equal(eventAt(session.outbox, BigInt(read?.seq ?? "0"))?.payload.case, "toolCallCompleted");
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.modelCalls, 3);
    assert.equal(completed.payload.case === "turnCompleted" && completed.payload.value.toolCalls, 2);
    // The log survives a reopen with its tool records.
    const reopened = await ConversationLog.open(session.volume.conversationFile);
    assert.equal(reopened.toolCalls(1).length, 2);
    assert.equal(reopened.turns()[0]?.ended?.text, "wrote it. done");
  });

  it("answers an unknown tool and malformed arguments with FAILED for the model to repair, and fails the turn past the repair bound", async () => {
    const agent = withTools(
      scriptedAgent(
        "helper",
        script(
          ["repair", [step.toolCall("launch_rockets"), step.toolCall("write_file", "{not json"), step.text("sorry")]],
          ["loop", [step.toolCall("nope"), step.toolCall("nope"), step.toolCall("nope"), step.toolCall("nope"), step.text("never")]],
        ),
      ),
      ["write_file"],
    );
    session = await openSession([agent]);
    session.loop.start();
    await session.say("repair please");
    await session.waitFor(ended);
    assert.deepEqual(view(session.events()), [
      "turnStarted",
      "started:launch_rockets",
      "tool:launch_rockets:FAILED",
      "started:write_file",
      "tool:write_file:FAILED",
      "text:sorry",
      "turnCompleted",
    ]);
    assert.match(results(session.conversation)[0]?.output ?? "", /unknown tool "launch_rockets"/);
    assert.match(results(session.conversation)[1]?.output ?? "", /not valid JSON/);
    await session.say("loop forever");
    const failed = await session.waitFor((event) => event.turn === 2 && ended(event));
    assert.equal(failed.payload.case === "turnFailed" && failed.payload.value.reason, "BadToolCalls");
  });

  it("never runs a call whose result is recorded: the recorded result is reused", async () => {
    const agent = withTools(scriptedAgent("helper", script(["", [step.toolCall("write_file", '{"path":"x.txt","content":"again"}'), step.text("ok")]])), [
      "write_file",
    ]);
    session = await openSession([agent]);
    // A result recorded for the call id the scripted model will use (turn 1, step 0).
    await session.conversation.append({
      kind: "tool_result",
      turn: 1,
      agent: "helper",
      callId: "scripted-1-0",
      name: "write_file",
      outcome: "succeeded",
      output: "wrote 5 bytes to x.txt",
      truncated: false,
      durationMs: 1,
      at: new Date().toISOString(),
    });
    session.loop.start();
    await session.say("write");
    await session.waitFor(ended);
    assert.deepEqual(view(session.events()), ["turnStarted", "text:ok", "turnCompleted"]);
    await assert.rejects(readFile(join(session.volume.workspace, "x.txt")), { code: "ENOENT" });
  });

  it("kills a running shell tool when the turn is cancelled: CANCELLED, then TurnCancelled", async () => {
    const agent = withTools(scriptedAgent("helper", script(["", [step.toolCall("shell", '{"command":"sleep 30"}'), step.text("never")]])), ["shell"]);
    session = await openSession([agent]);
    session.loop.start();
    await session.say("sleep");
    await session.waitFor((event) => event.payload.case === "toolCallStarted");
    const startedAt = Date.now();
    session.loop.cancel(0, new TurnCancelledError("Cancelled"));
    await session.waitFor(ended, 10_000);
    assert.ok(Date.now() - startedAt < 5000);
    assert.deepEqual(view(session.events()), ["turnStarted", "started:shell", "tool:shell:CANCELLED", "turnCancelled"]);
  });

  it("stops a tool at its ToolSpec time limit: TIMED_OUT goes back to the model", async () => {
    const agent = withTools(scriptedAgent("helper", script(["", [step.toolCall("shell", '{"command":"sleep 30"}'), step.text("too slow")]])), ["shell"], 1000);
    session = await openSession([agent]);
    session.loop.start();
    await session.say("sleep");
    await session.waitFor(ended, 15_000);
    assert.deepEqual(view(session.events()), ["turnStarted", "started:shell", "tool:shell:TIMED_OUT", "text:too slow", "turnCompleted"]);
  });
});

describe("tool calls across a crash", () => {
  let volume: TempVolume;
  const log = silentLogger();
  const at = "2026-01-01T00:00:00.000Z";
  beforeEach(async () => (volume = await tempVolume()));
  afterEach(() => volume.remove());

  it("reports a call that started but has no recorded result FAILED (interrupted) instead of running it again, then fails the turn", async () => {
    const conversation = await ConversationLog.open(volume.conversationFile);
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log });
    const sink = outboxEventSink(outbox);
    await conversation.append({ kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", at });
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "turnStarted", value: create(TurnStartedSchema, { messageId: "m1" }) } }, (seq) =>
      conversation.append({ kind: "started", turn: 1, agent: "helper", seq: seq.toString(), at }),
    );
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "toolCallStarted", value: create(ToolCallStartedSchema, { toolCallId: "c1", tool: "shell", argumentsJson: "{}" }) } }, (seq) =>
      conversation.append({ kind: "tool_call", turn: 1, agent: "helper", callId: "c1", name: "shell", argumentsJson: "{}", seq: seq.toString(), at }),
    );
    const again = await ConversationLog.open(volume.conversationFile);
    const reopened = await Outbox.open(volume.outbox, { floor: 0n, log });
    assert.deepEqual(await recoverTurns(again, reopened, outboxEventSink(reopened), log), { rewrittenEnds: [], interrupted: [1] });
    const completed = reopened.get(3n)?.payload;
    assert.equal(completed?.case === "event" && completed.value.payload.case === "toolCallCompleted" && completed.value.payload.value.status, ToolCallStatus.FAILED);
    assert.equal(completed?.case === "event" && completed.value.payload.case === "toolCallCompleted" && completed.value.payload.value.output, interruptedToolOutput);
    assert.equal(eventAt(reopened, 4n)?.payload.case, "turnFailed");
    assert.equal(again.toolResult(1, "c1")?.outcome, "failed");
  });

  it("writes a recorded result whose ToolCallCompleted a crash kept from the outbox, under its recorded seq, and does not rerun or re-report it", async () => {
    const conversation = await ConversationLog.open(volume.conversationFile);
    const outbox = await Outbox.open(volume.outbox, { floor: 0n, log });
    const sink = outboxEventSink(outbox);
    await conversation.append({ kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", at });
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "turnStarted", value: create(TurnStartedSchema, { messageId: "m1" }) } }, (seq) =>
      conversation.append({ kind: "started", turn: 1, agent: "helper", seq: seq.toString(), at }),
    );
    await sink.emit({ agent: "helper", turn: 1, payload: { case: "toolCallStarted", value: create(ToolCallStartedSchema, { toolCallId: "c1", tool: "write_file", argumentsJson: "{}" }) } }, (seq) =>
      conversation.append({ kind: "tool_call", turn: 1, agent: "helper", callId: "c1", name: "write_file", argumentsJson: "{}", seq: seq.toString(), at }),
    );
    const event = sessionEvent({
      agent: "helper",
      turn: 1,
      payload: { case: "toolCallCompleted", value: create(ToolCallCompletedSchema, { toolCallId: "c1", tool: "write_file", status: ToolCallStatus.SUCCEEDED, output: "wrote" }) },
    });
    // The crash came after the result was recorded and before its event reached the outbox.
    await conversation.append({
      kind: "tool_result",
      turn: 1,
      agent: "helper",
      callId: "c1",
      name: "write_file",
      outcome: "succeeded",
      output: "wrote",
      truncated: false,
      durationMs: 3,
      seq: "3",
      event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
      at,
    });
    const again = await ConversationLog.open(volume.conversationFile);
    const reopened = await Outbox.open(volume.outbox, { floor: 0n, log });
    assert.deepEqual(await recoverTurns(again, reopened, outboxEventSink(reopened), log), { rewrittenEnds: [], interrupted: [1] });
    const written = reopened.get(3n)?.payload;
    assert.equal(written?.case === "event" && written.value.payload.case === "toolCallCompleted" && written.value.payload.value.status, ToolCallStatus.SUCCEEDED);
    assert.equal(eventAt(reopened, 4n)?.payload.case, "turnFailed");
    assert.equal(reopened.lastSeq, 4n);
    assert.equal(again.entries.filter((entry) => entry.kind === "tool_result").length, 1);
  });
});
