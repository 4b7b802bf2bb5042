/**
 * Running a model's tool calls inside a turn. The agent spec's tools (built-in, handoff,
 * knowledge_search and its MCP servers' tools) are offered to the model; each call is recorded in the conversation log before its ToolCallStarted event and
 * before it runs, and its result is recorded (with the ToolCallCompleted event, in binary) before
 * that event is written. The call id is the idempotency key: a call whose result is recorded is
 * never run again — its recorded result is given back instead.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { durationFromMs, durationMs } from "@bufbuild/protobuf/wkt";
import type { Agent, AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema, ToolCallCompletedSchema, ToolCallStartedSchema, ToolCallStatus } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import type { Logger } from "../logger.js";
import type { ModelToolDefinition } from "../models/model.js";
import type { ConversationLog, ToolCallOutcome, ToolResultEntry } from "../state/conversation-log.js";
import { createBuiltinTools } from "../tools/builtin-tools.js";
import { createHandoffTool } from "../tools/handoff.js";
import { createKnowledgeSearchTool } from "../tools/knowledge-search.js";
import type { McpReport } from "../tools/mcp/mcp-servers.js";
import { capText } from "../tools/output-cap.js";
import type { SessionTools } from "../tools/session-tools.js";
import { DEFAULT_TOOL_LIMITS, type Tool, type ToolLimits, type ToolResult } from "../tools/tool.js";
import type { GuardrailStop, TurnGuardrails } from "./turn-guardrails.js";

/** Time a tool gets past its own limit to stop by itself before the turn gives up waiting for it. */
const stopGraceMs = 5_000;

/** Largest ToolCallCompleted.output, in bytes, leaving room for the truncation marker under the 1 MiB field limit. */
const maxEventOutputBytes = 1_048_576 - 256;

/** Largest ToolCallCompleted.error, in UTF-16 units (the field allows 4096 characters). */
const maxErrorChars = 4096;

/** One offered tool with the limits and approval rule from its ToolSpec or McpServerSpec. */
export interface OfferedTool {
  readonly tool: Tool;
  readonly limits: ToolLimits;
  /** Whether every call waits for human approval (ToolSpec / McpServerSpec require_approval). */
  readonly requiresApproval: boolean;
}

/** The tools of one agent for one turn. */
export interface AgentTools {
  /** Tool definitions for the model. */
  readonly definitions: readonly ModelToolDefinition[];
  /** Tools named in the spec that this daemon cannot offer (an unknown built-in name). */
  readonly unavailable: readonly string[];
  /** The offered tool called `name`, if any. */
  lookup(name: string): OfferedTool | undefined;
}

/** What an agent's tools need besides its spec. */
export interface AgentToolsContext {
  /** The agent's name. */
  readonly agent: string;
  /** The session's agents: the targets of handoff. */
  readonly agents: readonly Agent[];
  /** The session's knowledge indexes and MCP servers, kept across turns. */
  readonly sessionTools: SessionTools;
  /** Reports an MCP server's trouble (a Log event of the turn). */
  readonly report: McpReport;
  /** The values of secret-sourced env vars (a missing one is left unset); none when absent. */
  readonly secret?: (name: string, key: string) => string | undefined;
}

/**
 * The tools an agent spec enables (built-in, handoff, knowledge_search, its MCP servers' tools),
 * with their limits; the shell gets the spec's env (secret-sourced values included) and
 * http_fetch the spec's egress policy.
 */
export async function agentTools(spec: AgentSpec, context: AgentToolsContext): Promise<AgentTools> {
  const secret = context.secret ?? (() => undefined);
  const env: Record<string, string> = {};
  for (const variable of spec.env) {
    const value = variable.source.case === "value" ? variable.source.value : variable.source.case === "secret" ? secret(variable.source.value.secret, variable.source.value.key) : undefined;
    if (value !== undefined) env[variable.name] = value;
  }
  const egress = spec.guardrails?.toolCall;
  const builtins = new Map(createBuiltinTools({ shell: { env }, http: { allowHosts: egress?.egressAllowHosts ?? [], allowPrivateNetwork: egress?.allowPrivateNetwork ?? false } }));
  builtins.set("handoff", createHandoffTool(context.agent, context.agents));
  builtins.set("knowledge_search", createKnowledgeSearchTool(spec.knowledgeSources, context.sessionTools.knowledge(context.agent)));
  const offered = new Map<string, OfferedTool>();
  const unavailable: string[] = [];
  for (const toolSpec of spec.tools) {
    const tool = builtins.get(toolSpec.name);
    if (!tool) {
      unavailable.push(toolSpec.name);
      continue;
    }
    offered.set(tool.name, {
      tool,
      limits: {
        timeoutMs: toolSpec.timeout ? durationMs(toolSpec.timeout) : DEFAULT_TOOL_LIMITS.timeoutMs,
        maxOutputBytes: toolSpec.maxOutputBytes ?? DEFAULT_TOOL_LIMITS.maxOutputBytes,
      },
      requiresApproval: toolSpec.requireApproval,
    });
  }
  const mcpTools = await context.sessionTools.mcp.toolsFor(context.agent, spec.mcpServers, new Set([...builtins.keys()]), context.report);
  for (const mcpTool of mcpTools) offered.set(mcpTool.tool.name, mcpTool);
  return {
    definitions: [...offered.values()].map(({ tool }) => ({ name: tool.name, description: tool.description, parameters: { ...tool.parameters } })),
    unavailable,
    lookup: (name) => offered.get(name),
  };
}

/** One tool call as the model made it. */
export interface ModelToolCall {
  readonly callId: string;
  readonly name: string;
  readonly argumentsJson: string;
}

/** What running one call needs. */
export interface ToolCallContext {
  readonly sink: EventSink;
  readonly conversation: ConversationLog;
  readonly log: Logger;
  readonly tools: AgentTools;
  readonly workspace: string;
  readonly agent: string;
  readonly turn: number;
  /** The turn's signal: cancelling the turn stops the tool. */
  readonly signal: AbortSignal;
  /** The turn's guardrails: tool-call policy and approval before the tool runs, redaction of what it returns. */
  readonly gate?: Pick<TurnGuardrails, "beforeTool" | "afterTool" | "redactFor">;
}

/** What a call came to, for the conversation given back to the model. */
export interface ToolCallAnswer {
  readonly output: string;
  readonly isError: boolean;
  /** Whether the call never reached its tool (unknown tool or malformed arguments): a repair the model must make. */
  readonly badCall: boolean;
  /** Whether the result was recorded before (the call was not run again). */
  readonly reused: boolean;
  /** An output deny pattern withheld the result: the turn must stop. */
  readonly stop?: GuardrailStop;
}

const statusOf: Record<ToolResult["status"], ToolCallOutcome> = {
  ok: "succeeded",
  error: "failed",
  refused: "denied",
  timeout: "timed_out",
  cancelled: "cancelled",
};

/** The event status of a recorded outcome. */
export function toolCallStatus(outcome: ToolCallOutcome): ToolCallStatus {
  switch (outcome) {
    case "succeeded":
      return ToolCallStatus.SUCCEEDED;
    case "failed":
      return ToolCallStatus.FAILED;
    case "denied":
      return ToolCallStatus.DENIED;
    case "timed_out":
      return ToolCallStatus.TIMED_OUT;
    case "cancelled":
      return ToolCallStatus.CANCELLED;
  }
}

/** The arguments as an object, or why they are not one. */
function parseArguments(argumentsJson: string): { args: Record<string, unknown> } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(argumentsJson === "" ? "{}" : argumentsJson);
  } catch (error) {
    return { error: `the arguments are not valid JSON (${error instanceof Error ? error.message : String(error)}); send one JSON object` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { error: "the arguments must be one JSON object" };
  return { args: value as Record<string, unknown> };
}

/** Runs `tool`, giving up (as a timeout) if it outlives its limit by more than the stop grace. */
async function runWithLimit(offered: OfferedTool, args: Record<string, unknown>, workspace: string, signal: AbortSignal): Promise<ToolResult> {
  let timer: NodeJS.Timeout | undefined;
  const overdue = new Promise<ToolResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ output: `the tool did not finish within ${offered.limits.timeoutMs} ms`, status: "timeout", truncated: false }),
      offered.limits.timeoutMs + stopGraceMs,
    );
  });
  try {
    return await Promise.race([offered.tool.run(args, { workspace, signal, limits: offered.limits }), overdue]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one tool call (or reuses its recorded result) with its events and log records; see the file comment. */
export async function runToolCall(call: ModelToolCall, context: ToolCallContext): Promise<ToolCallAnswer> {
  const { sink, conversation, agent, turn, signal } = context;
  const recorded = conversation.toolResult(turn, call.callId);
  if (recorded) {
    context.log.info({ turn, callId: call.callId, tool: recorded.name }, "tool call already answered; reusing its recorded result");
    return { output: recorded.output, isError: recorded.outcome !== "succeeded", badCall: false, reused: true };
  }
  const gate = context.gate;
  const shownArguments = gate ? await gate.redactFor(call.callId, "tool call's arguments", call.argumentsJson) : call.argumentsJson;
  await sink.emit(
    {
      agent,
      turn,
      payload: { case: "toolCallStarted", value: create(ToolCallStartedSchema, { toolCallId: call.callId, tool: call.name, argumentsJson: shownArguments }) },
    },
    (seq) =>
      conversation.append({
        kind: "tool_call",
        turn,
        agent,
        callId: call.callId,
        name: call.name,
        argumentsJson: shownArguments,
        seq: seq.toString(),
        at: new Date().toISOString(),
      }),
  );
  const startedAt = Date.now();
  const offered = context.tools.lookup(call.name);
  const parsed = parseArguments(call.argumentsJson);
  let result: ToolResult;
  let badCall = false;
  if (!offered) {
    badCall = true;
    const unavailable = context.tools.unavailable.includes(call.name);
    result = {
      output: unavailable ? `tool "${call.name}" is not available in this daemon` : `unknown tool "${call.name}"; call one of the tools offered`,
      status: "error",
      truncated: false,
    };
  } else if ("error" in parsed) {
    badCall = true;
    result = { output: parsed.error, status: "error", truncated: false };
  } else {
    result = (await gate?.beforeTool({ ...call, requiresApproval: offered.requiresApproval }, parsed.args, signal)) ?? (await runWithLimit(offered, parsed.args, context.workspace, signal));
  }
  const durationMsTaken = Date.now() - startedAt;
  const outcome = statusOf[result.status];
  const checked = gate ? await gate.afterTool(call, result.output) : { output: result.output };
  const output = checked.output;
  const shown = capText(output, maxEventOutputBytes);
  const entry: Omit<ToolResultEntry, "seq" | "event" | "at"> = {
    kind: "tool_result",
    turn,
    agent,
    callId: call.callId,
    name: call.name,
    outcome,
    output,
    truncated: result.truncated,
    ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
    durationMs: durationMsTaken,
  };
  await sink.emit(
    {
      agent,
      turn,
      payload: {
        case: "toolCallCompleted",
        value: create(ToolCallCompletedSchema, {
          toolCallId: call.callId,
          tool: call.name,
          status: toolCallStatus(outcome),
          output: shown.output,
          outputTruncated: result.truncated || shown.truncated,
          error: outcome === "succeeded" ? "" : output.slice(0, maxErrorChars),
          ...(result.exitCode === undefined ? {} : { exitCode: result.exitCode }),
          duration: durationFromMs(durationMsTaken),
        }),
      },
    },
    (seq, event) =>
      conversation.append({ ...entry, seq: seq.toString(), event: Buffer.from(toBinary(SessionEventSchema, event)).toString("base64"), at: new Date().toISOString() }),
  );
  return { output, isError: outcome !== "succeeded", badCall, reused: false, ...(checked.stop ? { stop: checked.stop } : {}) };
}
