/**
 * One MCP server of an agent spec, reached through the SDK's Client: a child process over stdio
 * (started in a working directory confined to the workspace, with only the spec's environment
 * on top of the SDK's minimal default — never the daemon's own) or a streamable HTTP endpoint.
 * It connects lazily, lists the server's tools once per connection, and runs calls with the
 * call's timeout and output cap. A server that exits or drops the connection is noted and
 * reached again at the next listing; a stdio server whose call hangs past its timeout is
 * stopped (the whole process) so the hung work dies with it.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { CallToolResultSchema, ErrorCode, McpError, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { EnvVar, HttpHeader, McpServerSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { describeError, McpServerError } from "../../errors.js";
import type { ToolContext, ToolResult } from "../tool.js";
import { resolveInWorkspace } from "../workspace-path.js";
import { mcpToolResult } from "./mcp-result.js";

/** How long connecting (start, initialize, list tools) may take. */
const connectTimeoutMs = 30_000;
/** How much of a stdio server's stderr is kept for the note on its exit. */
const stderrTailChars = 1024;

/** What a connection needs from the daemon. */
export interface McpServerEnvironment {
  /** The session's workspace. */
  readonly workspace: string;
  /** Secret values by secret name and key, held in memory only. */
  readonly secret: (name: string, key: string) => string | undefined;
}

/** A tool a server offers. */
export interface McpToolInfo {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

/** One MCP server and its connection, if any. */
export class McpConnection {
  private client: Client | undefined;
  private tools: McpToolInfo[] | undefined;
  private connecting: Promise<McpToolInfo[]> | undefined;
  private ended: string | undefined;
  private secrets: string[] = [];

  constructor(
    readonly spec: McpServerSpec,
    private readonly environment: McpServerEnvironment,
  ) {}

  /** The server's tools, connecting first if it is not connected; throws McpServerError when it cannot be reached. */
  async listTools(): Promise<McpToolInfo[]> {
    if (this.client && this.tools) return this.tools;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Why the previous connection ended on its own (exit, dropped), once; undefined when it did not. */
  takeEndNote(): string | undefined {
    const note = this.ended;
    this.ended = undefined;
    return note;
  }

  /** Calls `tool` with the call's signal, timeout and output cap; failures are results, never throws. */
  async run(tool: string, args: unknown, ctx: ToolContext): Promise<ToolResult> {
    const client = this.client;
    if (!client) return failure(`the MCP server "${this.spec.name}" is not connected; it is started again at the next turn`);
    try {
      const result = (await client.callTool({ name: tool, arguments: args as Record<string, unknown> }, CallToolResultSchema, {
        signal: ctx.signal,
        timeout: ctx.limits.timeoutMs,
      })) as CallToolResult;
      return mcpToolResult(result, ctx.limits.maxOutputBytes);
    } catch (error) {
      if (ctx.signal.aborted) return { output: "cancelled", status: "cancelled", truncated: false };
      if (error instanceof McpError && (error.code as ErrorCode) === ErrorCode.RequestTimeout) {
        // A stdio server's hung handler would keep running; stopping the process ends it.
        if (this.spec.transport.case === "stdio") await this.drop(client, `stopped after a call to "${tool}" timed out`);
        return { output: `the MCP tool "${tool}" did not finish within ${ctx.limits.timeoutMs} ms`, status: "timeout", truncated: false };
      }
      if (this.client !== client) return failure(`the MCP server "${this.spec.name}" went away during the call (${this.ended ?? "connection closed"})`);
      return failure(this.scrub(error instanceof McpError ? error.message : describeError(error)));
    }
  }

  /** Closes the connection (stopping a stdio server's process). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.tools = undefined;
    await client?.close().catch(() => undefined);
  }

  private async drop(client: Client, note: string): Promise<void> {
    if (this.client === client) {
      this.client = undefined;
      this.tools = undefined;
      this.ended = note;
    }
    await client.close().catch(() => undefined);
  }

  private async connect(): Promise<McpToolInfo[]> {
    const name = this.spec.name;
    let stderrTail = "";
    const transport = await this.transport((chunk) => (stderrTail = (stderrTail + chunk).slice(-stderrTailChars)));
    const client = new Client({ name: "raworc-agent", version: "0.1.0" });
    client.onclose = () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.tools = undefined;
      const last = stderrTail.trim().split("\n").at(-1);
      this.ended = `the server closed the connection${last ? `; its last stderr line: ${this.scrub(last)}` : ""}`;
    };
    try {
      await client.connect(transport, { timeout: connectTimeoutMs });
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: connectTimeoutMs });
        for (const tool of page.tools) tools.push({ name: tool.name, description: tool.description ?? "", inputSchema: { ...tool.inputSchema } });
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      this.client = client;
      this.tools = tools;
      return tools;
    } catch (error) {
      await client.close().catch(() => undefined);
      const last = stderrTail.trim().split("\n").at(-1);
      throw new McpServerError(name, this.scrub(`cannot start or reach MCP server "${name}": ${describeError(error)}${last ? `; its last stderr line: ${last}` : ""}`), {
        cause: error,
      });
    }
  }

  private async transport(onStderr: (chunk: string) => void): Promise<Transport> {
    const { transport, name } = this.spec;
    if (transport.case === "stdio") {
      const stdio = transport.value;
      const cwd = await resolveInWorkspace(this.environment.workspace, stdio.workingDir || ".").catch((error: unknown) => {
        throw new McpServerError(name, `the working directory of MCP server "${name}" is not usable: ${describeError(error)}`);
      });
      const child = new StdioClientTransport({ command: stdio.command, args: [...stdio.args], env: this.values(stdio.env), cwd: cwd.real, stderr: "pipe" });
      child.stderr?.on("data", (chunk: Buffer) => onStderr(chunk.toString("utf8")));
      return child;
    }
    if (transport.case === "http") {
      let url: URL;
      try {
        url = new URL(transport.value.url);
      } catch {
        throw new McpServerError(name, `the URL of MCP server "${name}" is not valid`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new McpServerError(name, `MCP server "${name}" must be reached over http or https`);
      return new StreamableHTTPClientTransport(url, { requestInit: { headers: this.values(transport.value.headers) } });
    }
    throw new McpServerError(name, `MCP server "${name}" names no transport`);
  }

  /** Literal and secret values of env vars or headers; the secret values are remembered to scrub them from messages. */
  private values(entries: readonly (EnvVar | HttpHeader)[]): Record<string, string> {
    const values: Record<string, string> = {};
    for (const entry of entries) {
      if (entry.source.case === "value") values[entry.name] = entry.source.value;
      else if (entry.source.case === "secret") {
        const { secret, key } = entry.source.value;
        const value = this.environment.secret(secret, key);
        if (value === undefined) throw new McpServerError(this.spec.name, `the secret "${secret}" (key "${key}") for MCP server "${this.spec.name}" is not available to this session`);
        values[entry.name] = value;
        this.secrets.push(value);
      }
    }
    return values;
  }

  private scrub(text: string): string {
    return this.secrets.reduce((out, secret) => (secret ? out.split(secret).join("[redacted]") : out), text);
  }
}

function failure(output: string): ToolResult {
  return { output, status: "error", truncated: false };
}
