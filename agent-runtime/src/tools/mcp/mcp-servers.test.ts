import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, symlink } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { McpServerSpecSchema, type McpServerSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { type TempWorkspace, tempWorkspace, toolContext } from "../test-helpers.js";
import { createFixtureServer, fixtureHash, fixtureServerCommand } from "./fixture-server.js";
import { McpServers, type OfferedMcpTool } from "./mcp-servers.js";
import { maxToolNameLength, mcpToolName } from "./mcp-tool-name.js";

/** A stdio spec for the fixture server. */
function stdioSpec(name: string, extra: Partial<{ tools: string[]; timeoutMs: number; workingDir: string; command: string }> = {}): McpServerSpec {
  const { command, args } = fixtureServerCommand();
  return create(McpServerSpecSchema, {
    name,
    transport: {
      case: "stdio",
      value: {
        command: extra.command ?? command,
        args: extra.command ? [] : args,
        workingDir: extra.workingDir ?? "",
        env: [
          { name: "FIXTURE_GREETING", source: { case: "secret", value: { secret: "mcp", key: "greeting" } } },
          { name: "LITERAL", source: { case: "value", value: "x" } },
        ],
      },
    },
    tools: extra.tools ?? [],
    ...(extra.timeoutMs ? { timeout: durationFromMs(extra.timeoutMs) } : {}),
  });
}

/** Runs an offered tool as the turn would, with its limits. */
function call(offered: OfferedMcpTool | undefined, args: Record<string, unknown>, workspace: string) {
  assert.ok(offered, "the tool is offered");
  return offered.tool.run(args, toolContext(workspace, offered.limits));
}

/** A streamable HTTP MCP server (stateless: one server and transport per request) on 127.0.0.1, port 0, that wants a bearer token. */
async function startHttpServer(token: string): Promise<{ url: string; server: Server; requests: number }> {
  const state = { requests: 0 };
  const server = createServer((req, res) => {
    void (async () => {
      state.requests++;
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401).end();
        return;
      }
      const body = await readBody(req);
      const mcp = createFixtureServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on("close", () => void transport.close().then(() => mcp.close()));
      await mcp.connect(transport);
      await transport.handleRequest(req, res, body === "" ? undefined : JSON.parse(body));
    })();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    server,
    get requests() {
      return state.requests;
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("MCP tools (real SDK servers over stdio and streamable HTTP)", function () {
  this.timeout(60_000);
  let t: TempWorkspace;
  let servers: McpServers;
  let reports: string[];
  const report = (level: string, source: string, message: string): Promise<void> => Promise.resolve(void reports.push(`${level} ${source}: ${message}`));
  const secret = "greeting-canary-5d1e";

  beforeEach(async () => {
    t = await tempWorkspace();
    reports = [];
    servers = new McpServers({ workspace: t.ws, secret: (name, key) => (name === "mcp" && key === "greeting" ? secret : undefined) });
  });
  afterEach(async () => {
    await servers.closeAll();
    await t.dispose();
  });

  const toolsOf = async (specs: McpServerSpec[], agent = "helper") => {
    const offered = await servers.toolsFor(agent, specs, new Set(["shell"]), report);
    return new Map(offered.map((tool) => [tool.tool.name, tool]));
  };

  it("names tools <server>__<tool> within the providers' rules, without collisions", () => {
    const taken = new Set(["shell"]);
    assert.equal(mcpToolName("docs", "search", taken), "docs__search");
    const renamed = mcpToolName("docs", "find.all files", taken);
    assert.match(renamed, /^docs__find_all_files_[0-9a-f]{8}$/);
    const long = mcpToolName("a-very-long-server-name", "x".repeat(100), taken);
    assert.equal(long.length, maxToolNameLength);
    assert.match(long, /^[A-Za-z0-9_-]+$/);
    // "find_all files" would turn into the same characters as an earlier tool: it gets a name of its own.
    const twin = mcpToolName("docs", "find_all_files", new Set(["docs__find_all_files"]));
    assert.notEqual(twin, "docs__find_all_files");
    assert.equal(mcpToolName("docs", "search", taken) === "docs__search", false, "a second docs__search is renamed");
  });

  it("starts a stdio server in the workspace, lists its tools under prefixed names and calls them", async () => {
    await mkdir(join(t.ws, "srv"));
    const tools = await toolsOf([stdioSpec("shop", { workingDir: "srv" })]);
    assert.deepEqual([...tools.keys()].sort(), ["shop__echo", "shop__exit", "shop__fail", "shop__hang", "shop__lookup_order", "shop__whoami"]);
    const lookup = tools.get("shop__lookup_order");
    assert.equal(lookup?.tool.description, "Look up the status of an order by its id.");
    assert.deepEqual((lookup?.tool.parameters as { required?: string[] }).required, ["order_id"]);
    assert.equal(lookup?.requiresApproval, false);
    assert.equal(lookup?.limits.timeoutMs, 120_000);
    assert.deepEqual(await call(lookup, { order_id: "A-1001" }, t.ws), { output: "order A-1001: shipped on 2026-03-02 by parcel post", status: "ok", truncated: false });
    const who = JSON.parse((await call(tools.get("shop__whoami"), {}, t.ws)).output) as { cwd: string; greeting: string };
    assert.deepEqual([who.cwd, who.greeting], [join(t.ws, "srv"), fixtureHash(secret)]);
    const capped = await tools.get("shop__echo")?.tool.run({ text: "x".repeat(500) }, toolContext(t.ws, { maxOutputBytes: 100 }));
    assert.equal(capped?.truncated, true);
    assert.deepEqual(reports, []);
  });

  it("offers only the tools the spec's filter names, and says which it lacks", async () => {
    const tools = await toolsOf([stdioSpec("shop", { tools: ["echo", "lookup_order", "refund"] })]);
    assert.deepEqual([...tools.keys()].sort(), ["shop__echo", "shop__lookup_order"]);
    assert.deepEqual(reports, ['warn mcp:shop: MCP server "shop" has no tool "refund"']);
  });

  it("maps an isError result and a protocol error to failed calls the model can read", async () => {
    const tools = await toolsOf([stdioSpec("shop")]);
    assert.deepEqual(await call(tools.get("shop__fail"), {}, t.ws), { output: "the fixture failed on purpose", status: "error", truncated: false });
    assert.deepEqual(await call(tools.get("shop__lookup_order"), { order_id: "Z-0" }, t.ws), { output: "no order Z-0", status: "error", truncated: false });
    const invalid = await call(tools.get("shop__lookup_order"), { order_id: 42 }, t.ws);
    assert.equal(invalid.status, "error");
    assert.match(invalid.output, /order_id/);
  });

  it("stops a hanging stdio tool at its timeout (the process with it) and starts the server again at the next turn", async () => {
    const spec = stdioSpec("shop", { timeoutMs: 1000 });
    const tools = await toolsOf([spec]);
    const before = (JSON.parse((await call(tools.get("shop__whoami"), {}, t.ws)).output) as { pid: number }).pid;
    const hung = await call(tools.get("shop__hang"), {}, t.ws);
    assert.deepEqual(hung, { output: 'the MCP tool "hang" did not finish within 1000 ms', status: "timeout", truncated: false });
    assert.equal(alive(before), false, "the hung server process was stopped");
    const stale = await call(tools.get("shop__echo"), { text: "hi" }, t.ws);
    assert.equal(stale.status, "error");
    const next = await toolsOf([spec]);
    assert.match(reports.join("\n"), /warn mcp:shop: MCP server "shop" went away \(stopped after a call to "hang" timed out\); connecting again/);
    const after = (JSON.parse((await call(next.get("shop__whoami"), {}, t.ws)).output) as { pid: number }).pid;
    assert.notEqual(after, before);
  });

  it("turns a server that exits during a call into a failed call, reports it, and reconnects at the next turn", async () => {
    const spec = stdioSpec("shop");
    const tools = await toolsOf([spec]);
    const exited = await call(tools.get("shop__exit"), {}, t.ws);
    assert.equal(exited.status, "error");
    assert.match(exited.output, /MCP server "shop" went away during the call|Connection closed/);
    const next = await toolsOf([spec]);
    assert.match(reports.join("\n"), /warn mcp:shop: MCP server "shop" went away \(the server closed the connection; its last stderr line: fixture: exiting on request\); connecting again/);
    assert.equal((await call(next.get("shop__echo"), { text: "back" }, t.ws)).output, "back");
  });

  it("reports a server that cannot start or whose working directory leaves the workspace, and offers the others", async () => {
    await symlink(t.outside, join(t.ws, "out"));
    const tools = await toolsOf([stdioSpec("broken", { command: join(t.ws, "no-such-server") }), stdioSpec("escape", { workingDir: "out" }), stdioSpec("shop", { tools: ["echo"] })]);
    assert.deepEqual([...tools.keys()], ["shop__echo"]);
    assert.equal(reports.length, 2);
    assert.match(reports[0] ?? "", /^error mcp:broken: cannot start or reach MCP server "broken": .*ENOENT/);
    assert.match(reports[1] ?? "", /^error mcp:escape: the working directory of MCP server "escape" is not usable: .*outside the workspace/);
  });

  it("closes every stdio server when asked (the daemon stops)", async () => {
    const tools = await toolsOf([stdioSpec("shop")]);
    const pid = (JSON.parse((await call(tools.get("shop__whoami"), {}, t.ws)).output) as { pid: number }).pid;
    assert.equal(alive(pid), true);
    await servers.closeAll();
    assert.equal(alive(pid), false);
  });

  describe("over streamable HTTP", () => {
    let http: Awaited<ReturnType<typeof startHttpServer>>;
    const token = "mcp-http-token-7f3a";
    beforeEach(async () => {
      http = await startHttpServer(token);
    });
    afterEach(async () => {
      http.server.closeAllConnections();
      http.server.close();
      await once(http.server, "close");
    });

    const httpSpec = (headerToken: string, timeoutMs?: number): McpServerSpec =>
      create(McpServerSpecSchema, {
        name: "web",
        transport: { case: "http", value: { url: http.url, headers: [{ name: "Authorization", source: { case: "value", value: `Bearer ${headerToken}` } }] } },
        requireApproval: true,
        ...(timeoutMs ? { timeout: durationFromMs(timeoutMs) } : {}),
      });

    it("lists and calls tools with the spec's headers, and marks them for approval", async () => {
      const tools = await toolsOf([httpSpec(token)]);
      assert.equal(tools.size, 6);
      assert.equal(tools.get("web__echo")?.requiresApproval, true);
      assert.equal((await call(tools.get("web__lookup_order"), { order_id: "B-2002" }, t.ws)).output, "order B-2002: waiting for payment");
      assert.equal((await call(tools.get("web__fail"), {}, t.ws)).status, "error");
    });

    it("stops waiting for a hanging tool at its timeout and keeps the server", async () => {
      const tools = await toolsOf([httpSpec(token, 1000)]);
      assert.equal((await call(tools.get("web__hang"), {}, t.ws)).status, "timeout");
      assert.equal((await call(tools.get("web__echo"), { text: "still here" }, t.ws)).output, "still here");
    });

    it("reports a server that refuses the connection (wrong token) and offers nothing from it", async () => {
      const tools = await toolsOf([httpSpec("wrong")]);
      assert.equal(tools.size, 0);
      assert.match(reports.join("\n"), /^error mcp:web: cannot start or reach MCP server "web": .*Error POSTing to endpoint/);
      assert.ok(http.requests > 0);
    });
  });
});
