/**
 * An MCP CallToolResult as a tool result for the model: text content as is, structured content
 * as JSON, other content (images, audio, resources) named rather than inlined; `isError` makes
 * it a failed call the model can act on. Capped at the call's output limit like any tool.
 */
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { capText } from "../output-cap.js";
import type { ToolResult } from "../tool.js";

/** The text of one content block. */
function contentText(block: CallToolResult["content"][number]): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "image":
    case "audio":
      return `[${block.type} content, ${block.mimeType}, not shown]`;
    case "resource":
      return "text" in block.resource ? block.resource.text : `[binary resource ${block.resource.uri}, not shown]`;
    case "resource_link":
      return `[resource ${block.uri}${block.name ? ` (${block.name})` : ""}]`;
  }
}

/** The ToolResult of an MCP call's result, capped at `maxOutputBytes`. */
export function mcpToolResult(result: CallToolResult, maxOutputBytes: number): ToolResult {
  const parts = result.content.map(contentText);
  if (parts.length === 0 && result.structuredContent !== undefined) parts.push(JSON.stringify(result.structuredContent));
  const text = parts.join("\n");
  return { ...capText(text === "" && result.isError ? "the tool failed without a message" : text, maxOutputBytes), status: result.isError ? "error" : "ok" };
}
