/**
 * The built-in tools by ToolSpec name that need nothing but their options (handoff and
 * knowledge_search depend on the agent and are made per agent in turns/tool-calls.ts).
 */
import { createEditFileTool } from "./edit-file.js";
import { createHttpFetchTool, type HttpFetchOptions } from "./http-fetch.js";
import { createListFilesTool } from "./list-files.js";
import { createReadFileTool } from "./read-file.js";
import { createSearchFilesTool } from "./search-files.js";
import { createShellTool, type ShellOptions } from "./shell.js";
import type { Tool } from "./tool.js";
import { createWriteFileTool } from "./write-file.js";

/** Options of the built-in tools. */
export interface BuiltinToolOptions {
  /** The shell tool's environment and kill grace. */
  readonly shell?: ShellOptions;
  /** The egress policy (and resolver) of http_fetch; default no host at all. */
  readonly http?: HttpFetchOptions;
}

/** The built-in tools, keyed by name. */
export function createBuiltinTools(options: BuiltinToolOptions = {}): ReadonlyMap<string, Tool> {
  const tools = [
    createShellTool(options.shell),
    createReadFileTool(),
    createWriteFileTool(),
    createEditFileTool(),
    createListFilesTool(),
    createSearchFilesTool(),
    createHttpFetchTool(options.http ?? { allowHosts: [], allowPrivateNetwork: false }),
  ];
  return new Map(tools.map((tool) => [tool.name, tool]));
}
