/**
 * The MCP servers of a session's agents, kept across turns: each agent's servers are connected
 * at the first turn that needs them, a server whose spec changed (a new Welcome) is replaced, a
 * server that went away is reached again, and all are closed when the daemon stops. A server
 * that cannot be reached is reported and its tools are left out of the turn; it never stops the
 * daemon or the turn.
 */
import { toBinary } from "@bufbuild/protobuf";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { McpServerSpecSchema, type McpServerSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { describeError, McpServerError } from "../../errors.js";
import { DEFAULT_TOOL_LIMITS, type Tool, type ToolLimits } from "../tool.js";
import { McpConnection, type McpServerEnvironment } from "./mcp-connection.js";
import { mcpToolName } from "./mcp-tool-name.js";

/** An MCP tool as offered to one agent for one turn. */
export interface OfferedMcpTool {
  readonly tool: Tool;
  readonly limits: ToolLimits;
  /** Whether every call waits for human approval (McpServerSpec.require_approval). */
  readonly requiresApproval: boolean;
}

/** Tells the turn (as a Log event) about a server that failed or was filtered; `source` is "mcp:<server>". */
export type McpReport = (level: "info" | "warn" | "error", source: string, message: string) => Promise<void>;

/** The session's MCP server connections. */
export class McpServers {
  private readonly connections = new Map<string, { fingerprint: string; connection: McpConnection }>();

  constructor(private readonly environment: McpServerEnvironment) {}

  /** The tools `agent`'s servers offer under collision-free names (not in `taken`, which they join). */
  async toolsFor(agent: string, servers: readonly McpServerSpec[], taken: Set<string>, report: McpReport): Promise<OfferedMcpTool[]> {
    const offered: OfferedMcpTool[] = [];
    for (const spec of servers) {
      const connection = await this.connection(agent, spec);
      const source = `mcp:${spec.name}`;
      const ended = connection.takeEndNote();
      if (ended) await report("warn", source, `MCP server "${spec.name}" went away (${ended}); connecting again`);
      let tools;
      try {
        tools = await connection.listTools();
      } catch (error) {
        await report("error", source, error instanceof McpServerError ? error.message : describeError(error));
        continue;
      }
      const wanted = new Set(spec.tools);
      const missing = spec.tools.filter((name) => !tools.some((tool) => tool.name === name));
      if (missing.length > 0) await report("warn", source, `MCP server "${spec.name}" has no tool ${missing.map((name) => `"${name}"`).join(", ")}`);
      const limits: ToolLimits = { timeoutMs: spec.timeout ? durationMs(spec.timeout) : DEFAULT_TOOL_LIMITS.timeoutMs, maxOutputBytes: DEFAULT_TOOL_LIMITS.maxOutputBytes };
      for (const info of tools) {
        if (wanted.size > 0 && !wanted.has(info.name)) continue;
        const name = mcpToolName(spec.name, info.name, taken);
        offered.push({
          tool: {
            name,
            description: info.description || `The tool "${info.name}" of MCP server "${spec.name}".`,
            parameters: info.inputSchema,
            run: (args, ctx) => connection.run(info.name, args, ctx),
          },
          limits,
          requiresApproval: spec.requireApproval,
        });
      }
    }
    return offered;
  }

  /** Closes every server (stdio processes are stopped). */
  async closeAll(): Promise<void> {
    const all = [...this.connections.values()];
    this.connections.clear();
    await Promise.all(all.map(({ connection }) => connection.close()));
  }

  private async connection(agent: string, spec: McpServerSpec): Promise<McpConnection> {
    const key = `${agent}/${spec.name}`;
    const fingerprint = Buffer.from(toBinary(McpServerSpecSchema, spec)).toString("base64");
    const known = this.connections.get(key);
    if (known?.fingerprint === fingerprint) return known.connection;
    await known?.connection.close();
    const connection = new McpConnection(spec, this.environment);
    this.connections.set(key, { fingerprint, connection });
    return connection;
  }
}
