/**
 * What the tools of a session keep between turns: each agent's knowledge index and the MCP
 * server connections. The daemon makes one and closes it when it stops.
 */
import { KnowledgeIndex } from "./knowledge-index.js";
import type { McpServerEnvironment } from "./mcp/mcp-connection.js";
import { McpServers } from "./mcp/mcp-servers.js";

/** A session's long-lived tool state. */
export class SessionTools {
  /** The MCP servers of the session's agents. */
  readonly mcp: McpServers;
  private readonly indexes = new Map<string, KnowledgeIndex>();

  constructor(private readonly environment: McpServerEnvironment) {
    this.mcp = new McpServers(environment);
  }

  /** The knowledge index of `agent` (one per agent: each has its own sources). */
  knowledge(agent: string): KnowledgeIndex {
    let index = this.indexes.get(agent);
    if (!index) {
      index = new KnowledgeIndex(this.environment.workspace);
      this.indexes.set(agent, index);
    }
    return index;
  }

  /** Closes the MCP servers. */
  close(): Promise<void> {
    return this.mcp.closeAll();
  }
}
