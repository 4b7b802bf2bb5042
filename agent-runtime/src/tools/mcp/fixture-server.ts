/**
 * A real MCP server built with the SDK's server side, for tests: run as a script it serves over
 * stdio (`node --import tsx fixture-server.ts`); `createFixtureServer` gives the same tools for a
 * streamable HTTP server in the test process. Tools: lookup_order (a fact to find), echo, fail
 * (an isError result), hang (never answers until cancelled), exit (the process exits at once),
 * and whoami (process id, working directory and a hash of its environment's greeting, to see
 * restarts, confinement and the spec's environment).
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

/** The orders lookup_order knows. */
export const fixtureOrders: Readonly<Record<string, string>> = { "A-1001": "shipped on 2026-03-02 by parcel post", "B-2002": "waiting for payment" };

/** The hash whoami shows of a value. */
export function fixtureHash(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 16);
}

/** An MCP server with the fixture's tools. */
export function createFixtureServer(): McpServer {
  const server = new McpServer({ name: "raworc-fixture", version: "1.0.0" });
  server.registerTool(
    "lookup_order",
    { description: "Look up the status of an order by its id.", inputSchema: { order_id: z.string() } },
    ({ order_id }) => {
      const status = fixtureOrders[order_id];
      return status === undefined
        ? { content: [{ type: "text", text: `no order ${order_id}` }], isError: true }
        : { content: [{ type: "text", text: `order ${order_id}: ${status}` }] };
    },
  );
  server.registerTool("echo", { description: "Echo the text back.", inputSchema: { text: z.string() } }, ({ text }) => ({ content: [{ type: "text", text }] }));
  server.registerTool("fail", { description: "Always fails." }, () => ({ content: [{ type: "text", text: "the fixture failed on purpose" }], isError: true }));
  server.registerTool(
    "hang",
    { description: "Never answers until cancelled." },
    (extra) =>
      new Promise((resolve) => extra.signal.addEventListener("abort", () => resolve({ content: [{ type: "text", text: "cancelled" }] }), { once: true })),
  );
  server.registerTool("exit", { description: "Exits the server process." }, () => {
    process.stderr.write("fixture: exiting on request\n");
    process.exit(3);
  });
  // The greeting (a secret in the tests) is shown only as a hash, so no secret lands in an event.
  server.registerTool("whoami", { description: "The server's process id, working directory and a hash of $FIXTURE_GREETING." }, () => ({
    content: [{ type: "text", text: JSON.stringify({ pid: process.pid, cwd: process.cwd(), greeting: fixtureHash(process.env.FIXTURE_GREETING ?? "") }) }],
  }));
  return server;
}

/** The file of this script, to start it as a stdio server. */
export const fixtureServerScript = new URL(import.meta.url).pathname;

/** The command line that starts the stdio fixture with this Node and tsx. */
export function fixtureServerCommand(): { command: string; args: string[] } {
  return { command: process.execPath, args: ["--import", import.meta.resolve("tsx"), fixtureServerScript] };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await createFixtureServer().connect(new StdioServerTransport());
}
