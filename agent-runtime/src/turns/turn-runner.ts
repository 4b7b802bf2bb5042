/**
 * One turn: route the user message to an agent, send TurnStarted, call the agent's model and
 * stream its reply as TextDelta events, and close the turn with exactly one TurnCompleted,
 * TurnFailed or TurnCancelled. The start and the end are recorded in the conversation log under
 * the daemon seq of their events, before the events are written, so a restart can tell what was
 * sent. The agent's tools are offered to the model; its tool calls run in the workspace
 * (see tool-calls.ts) and their results go back to the model until it stops, within a bound on
 * model calls and on repairs of malformed calls. A successful handoff call passes the rest of the
 * turn to the receiving agent (its instructions, model and tools; later events carry its name).
 */
import { dirname } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import {
  HandoffSchema,
  LogLevel,
  LogSchema,
  ModelUsageSchema,
  SessionEventSchema,
  TextDeltaSchema,
  TurnStartedSchema,
  UsageSchema,
  type Usage,
} from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { Agent, AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import { describeError, ModelError, TurnCancelledError, UnsupportedError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ModelFactory } from "../models/create-model.js";
import type { Model, ModelInputItem, ModelUsageReport } from "../models/model.js";
import type { ConversationLog, UserEntry } from "../state/conversation-log.js";
import { handoffInput, handoffRequest, maxHandoffsPerTurn } from "../tools/handoff.js";
import type { McpReport } from "../tools/mcp/mcp-servers.js";
import type { SessionTools } from "../tools/session-tools.js";
import { closingEvent, splitText, type TurnEnd } from "./turn-end.js";
import { isRoute, routeMessage } from "./routing.js";
import { agentTools, runToolCall, type AgentTools, type ModelToolCall } from "./tool-calls.js";

/** Model calls one turn may make when the agent's budget does not say (agent.proto). */
export const defaultMaxModelCalls = 50;

/** Tool calls per turn that may miss (unknown tool, malformed arguments) before the turn fails: the repairs a model gets. */
export const maxBadToolCalls = 3;

/** What the turn runner needs. */
export interface TurnDependencies {
  readonly sink: EventSink;
  readonly conversation: ConversationLog;
  readonly models: ModelFactory;
  readonly log: Logger;
  /** The session's workspace, where tools run; default the directory that holds the log's `.raworc/`. */
  readonly workspace?: string;
  /** The session's knowledge indexes and MCP servers, kept across turns. */
  readonly sessionTools: SessionTools;
}

/** One turn to run. */
export interface TurnRequest {
  readonly user: UserEntry;
  /** The session's agents, in order, from the latest Welcome. */
  readonly agents: readonly Agent[];
  /** The conversation before this turn. */
  readonly history: readonly ModelInputItem[];
  /** The agent of the previous turn, for routing by continuation. */
  readonly previousAgent: string | undefined;
  /** Aborted with a TurnCancelledError to cancel the turn. */
  readonly signal: AbortSignal;
}

/** Adds a call's usage to a running total. */
function addUsage(total: Usage, report: ModelUsageReport): void {
  total.inputTokens += BigInt(report.inputTokens);
  total.outputTokens += BigInt(report.outputTokens);
  total.cachedInputTokens += BigInt(report.cachedInputTokens);
  total.costUsd += report.costUsd ?? 0;
}

/** The agent acting in the turn. */
interface ActingAgent {
  readonly spec: AgentSpec;
  readonly model: Model;
  readonly tools: AgentTools;
}

const logLevels = { info: LogLevel.INFO, warn: LogLevel.WARN, error: LogLevel.ERROR } as const;

/** Runs one turn to its end and returns how it ended; only a failure to write events or the log rejects. */
export async function runTurn(request: TurnRequest, dependencies: TurnDependencies): Promise<TurnEnd> {
  const { sink, conversation, log } = dependencies;
  const { user, signal } = request;
  const turn = user.turn;
  const startedAt = Date.now();
  const routed = routeMessage(request.agents, user, request.previousAgent);
  let agentName = isRoute(routed) ? routed.name : "";
  await sink.emit(
    {
      agent: agentName,
      turn,
      payload: {
        case: "turnStarted",
        value: create(TurnStartedSchema, {
          messageId: user.messageId,
          ...(isRoute(routed) ? { route: routed.route, matchedPattern: routed.matchedPattern } : {}),
        }),
      },
    },
    (seq) => conversation.append({ kind: "started", turn, agent: agentName, seq: seq.toString(), at: new Date().toISOString() }),
  );
  const usage = create(UsageSchema);
  let text = "";
  let modelCalls = 0;
  let toolCalls = 0;
  let badToolCalls = 0;
  let handoffs = 0;
  const usedCallIds = new Set<string>();
  let end: TurnEnd;
  const workspace = dependencies.workspace ?? dirname(dirname(conversation.file));
  const report: McpReport = async (level, source, message) => {
    log[level]({ turn, agent: agentName, source }, message);
    await sink.emit({ agent: agentName, turn, payload: { case: "log", value: create(LogSchema, { level: logLevels[level], source, message: message.slice(0, 4096) }) } });
  };
  const act = async (agent: Agent, name: string): Promise<ActingAgent> => {
    const spec = agent.spec;
    if (!spec?.model) throw new UnsupportedError(`agent "${name}" has no model`);
    const tools = await agentTools(spec, { agent: name, agents: request.agents, sessionTools: dependencies.sessionTools, report });
    if (tools.unavailable.length > 0) log.warn({ turn, agent: name, tools: tools.unavailable }, "the agent names tools this daemon cannot run; they are not offered");
    return { spec, model: dependencies.models(spec.model), tools };
  };
  try {
    if (!isRoute(routed)) throw new UnsupportedError(routed.message);
    let { spec, model, tools } = await act(routed.agent, agentName);
    let input: ModelInputItem[] = [...request.history, { type: "user", text: user.text }];
    let stopReason = "end_turn";
    modelLoop: for (;;) {
      const maxCalls = spec.guardrails?.budgets?.maxModelCallsPerTurn ?? defaultMaxModelCalls;
      if (modelCalls >= maxCalls) {
        end = { outcome: "failed", reason: "ToolLoop", message: `the model made ${modelCalls} calls in this turn, the most allowed` };
        break;
      }
      modelCalls++;
      const calls: ModelToolCall[] = [];
      let callText = "";
      let callUsage: Usage | undefined;
      for await (const event of model.stream({ instructions: spec.instructions, input, tools: tools.definitions, turn, signal })) {
        if (event.type === "text_delta") {
          for (const piece of splitText(event.text)) {
            await sink.emit({ agent: agentName, turn, payload: { case: "textDelta", value: create(TextDeltaSchema, { text: piece }) } });
            callText += piece;
            text += piece;
          }
        } else if (event.type === "usage") {
          callUsage ??= create(UsageSchema);
          addUsage(callUsage, event.usage);
          addUsage(usage, event.usage);
        } else if (event.type === "tool_call") {
          // After a handoff the receiver's call ids may repeat the giver's (scripted ids do); they must stay unique in the turn.
          let callId = event.callId;
          for (let n = 2; usedCallIds.has(callId); n++) callId = `${event.callId}-${n}`;
          usedCallIds.add(callId);
          calls.push({ callId, name: event.name, argumentsJson: event.argumentsJson });
        } else {
          stopReason = event.stopReason;
        }
        signal.throwIfAborted();
      }
      if (callUsage) {
        await sink.emit({ agent: agentName, turn, payload: { case: "usage", value: create(ModelUsageSchema, { model: model.name, usage: callUsage }) } });
      }
      if (callText !== "") input.push({ type: "assistant", text: callText });
      if (calls.length === 0) {
        end = { outcome: "completed", stopReason };
        break;
      }
      for (const call of calls) {
        const answer = await runToolCall(call, { sink, conversation, log, tools, workspace, agent: agentName, turn, signal });
        if (!answer.reused) toolCalls++;
        if (answer.badCall) badToolCalls++;
        input.push({ type: "tool_call", ...call }, { type: "tool_result", callId: call.callId, output: answer.output, isError: answer.isError });
        signal.throwIfAborted();
        const handoff = handoffRequest(call, answer);
        const receiver = handoff && request.agents.find((agent) => agent.metadata?.name === handoff.toAgent);
        if (!handoff || !receiver) continue;
        if (++handoffs > maxHandoffsPerTurn) {
          end = { outcome: "failed", reason: "HandoffLoop", message: `the agents handed this turn off ${handoffs} times; at most ${maxHandoffsPerTurn} handoffs are allowed per turn` };
          break modelLoop;
        }
        await sink.emit({ agent: agentName, turn, payload: { case: "handoff", value: create(HandoffSchema, { toAgent: handoff.toAgent, message: handoff.message }) } });
        const giver = agentName;
        agentName = handoff.toAgent;
        ({ spec, model, tools } = await act(receiver, agentName));
        // The receiver starts the rest of the turn afresh on the user's message and the giver's note; the giver's further calls are dropped.
        input = [...request.history, { type: "user", text: handoffInput(user.text, giver, handoff.message) }];
        break;
      }
      if (badToolCalls > maxBadToolCalls) {
        end = { outcome: "failed", reason: "BadToolCalls", message: `the model made ${badToolCalls} tool calls that named no offered tool or had malformed arguments` };
        break;
      }
      signal.throwIfAborted();
    }
  } catch (error) {
    if (signal.aborted) {
      const reason = signal.reason instanceof TurnCancelledError ? signal.reason : new TurnCancelledError("Cancelled");
      end = { outcome: "cancelled", reason: reason.reason, cancelledBy: reason.cancelledBy };
    } else if (error instanceof ModelError) {
      end = { outcome: "failed", reason: "ModelError", message: error.message };
    } else if (error instanceof UnsupportedError) {
      end = { outcome: "failed", reason: isRoute(routed) ? "Unsupported" : routed.reason, message: error.message };
    } else {
      log.error({ turn, err: describeError(error) }, "turn failed unexpectedly");
      end = { outcome: "failed", reason: "Internal", message: "the daemon hit an internal error; see its log" };
    }
  }
  const payload = closingEvent(end, { usage, modelCalls, toolCalls, durationMs: Date.now() - startedAt });
  await sink.emit({ agent: agentName, turn, payload }, (seq, event) =>
    conversation.append({
      kind: "ended",
      turn,
      agent: agentName,
      outcome: end.outcome,
      text,
      ...(end.outcome === "completed" ? {} : { reason: end.reason }),
      seq: seq.toString(),
      event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"),
      at: new Date().toISOString(),
    }),
  );
  log.info({ turn, agent: agentName, outcome: end.outcome, modelCalls, toolCalls, replyChars: text.length }, "turn ended");
  return end;
}
