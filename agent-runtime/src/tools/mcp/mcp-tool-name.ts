/**
 * The names MCP tools are offered under: `<server>__<tool>` (agent.proto), made to fit the
 * providers' tool-name rules (OpenAI and Anthropic: `^[a-zA-Z0-9_-]{1,64}$`) and never to
 * collide with a built-in tool or another server's tool.
 */
import { createHash } from "node:crypto";

/** Longest tool name every provider accepts. */
export const maxToolNameLength = 64;

/** The name `tool` of `server` is offered under, unique among `taken` (which it joins). */
export function mcpToolName(server: string, tool: string, taken: Set<string>): string {
  const plain = `${server}__${tool.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  let name = plain.slice(0, maxToolNameLength);
  if (name !== `${server}__${tool}` || taken.has(name)) {
    // A rewritten or clashing name gets a short hash of the original, so it stays stable across turns.
    const suffix = `_${createHash("sha256").update(`${server}\0${tool}`).digest("hex").slice(0, 8)}`;
    name = `${plain.slice(0, maxToolNameLength - suffix.length)}${suffix}`;
  }
  for (let n = 2; taken.has(name); n++) name = `${name.slice(0, maxToolNameLength - String(n).length - 1)}_${n}`;
  taken.add(name);
  return name;
}
