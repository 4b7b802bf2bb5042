/**
 * Which tool calls wait for a human: a ToolSpec or McpServerSpec with require_approval, a tool
 * named (or globbed) in guardrails.approvals.tools, or a shell command matching one of
 * guardrails.approvals.command_patterns. The answer names the rule that asked.
 */
import type { AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { compileGlob } from "./glob.js";
import { compileRules, firstMatch } from "./rule-patterns.js";

/** How long a call waits for an answer when approvals.timeout is unset: 10 minutes (agent.proto). */
export const defaultApprovalTimeoutMs = 10 * 60_000;

/** Why a call waits for approval. */
export interface ApprovalRequirement {
  readonly rule: string;
  readonly reason: string;
  /** How long it waits before it is denied. */
  readonly timeoutMs: number;
}

/**
 * The approval a call of tool `name` with `args` needs, or undefined when it runs without one.
 * `offeredRequiresApproval` is what the offered tool says (it also covers MCP tools whose names
 * were rewritten and so carry no `<server>__` prefix).
 */
export function approvalRequirement(spec: AgentSpec, name: string, args: Readonly<Record<string, unknown>>, offeredRequiresApproval = false): ApprovalRequirement | undefined {
  const policy = spec.guardrails?.approvals;
  const timeoutMs = policy?.timeout ? durationMs(policy.timeout) : defaultApprovalTimeoutMs;
  const toolIndex = spec.tools.findIndex((tool) => tool.name === name);
  if (toolIndex >= 0 && spec.tools[toolIndex]?.requireApproval) {
    return { rule: `tools[${toolIndex}].require_approval`, reason: `every call of ${name} waits for approval`, timeoutMs };
  }
  const serverIndex = spec.mcpServers.findIndex((server) => name.startsWith(`${server.name}__`));
  if (serverIndex >= 0 && spec.mcpServers[serverIndex]?.requireApproval) {
    return { rule: `mcp_servers[${serverIndex}].require_approval`, reason: `every call of MCP server ${spec.mcpServers[serverIndex]?.name ?? ""} waits for approval`, timeoutMs };
  }
  if (offeredRequiresApproval) return { rule: "mcp_servers.require_approval", reason: `every call of ${name} waits for approval`, timeoutMs };
  if (!policy) return undefined;
  const listed = policy.tools.findIndex((glob) => compileGlob(glob).test(name));
  if (listed >= 0) return { rule: `guardrails.approvals.tools[${listed}]`, reason: `calls of ${name} wait for approval`, timeoutMs };
  if (name === "shell" && typeof args.command === "string") {
    const matched = firstMatch(compileRules("guardrails.approvals.command_patterns", policy.commandPatterns), args.command);
    if (matched) return { rule: matched.rule, reason: "the command matches an approval command pattern", timeoutMs };
  }
  return undefined;
}
