import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { AgentSpecSchema, ToolCallGuardrailsSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { tempVolume, type TempVolume } from "../testing/fixtures.js";
import { approvalRequirement, defaultApprovalTimeoutMs } from "./approval-policy.js";
import { compileGlob } from "./glob.js";
import { evaluateToolCall } from "./tool-call-policy.js";

describe("tool-call guardrails", () => {
  let volume: TempVolume;
  before(async () => {
    volume = await tempVolume();
    await mkdir(join(volume.workspace, "secrets"), { recursive: true });
    await mkdir(join(volume.workspace, "src"), { recursive: true });
    await writeFile(join(volume.workspace, "secrets", "key.txt"), "k");
    await symlink(join(volume.workspace, "secrets"), join(volume.workspace, "src", "innocent"));
  });
  after(() => volume.remove());

  it("globs: * stays in a segment, ** crosses them, a trailing /** includes the directory", () => {
    assert.ok(compileGlob("src/*.ts").test("src/a.ts") && !compileGlob("src/*.ts").test("src/x/a.ts"));
    assert.ok(compileGlob("src/**").test("src") && compileGlob("src/**").test("src/x/y.ts") && !compileGlob("src/**").test("srcs/a"));
    assert.ok(compileGlob("**/*.env").test(".env") && compileGlob("**/*.env").test("a/b/prod.env") && compileGlob("**/*.env").test("x.env"));
    assert.ok(compileGlob("file?.txt").test("file1.txt") && !compileGlob("file?.txt").test("file10.txt"));
    assert.equal(compileGlob("a.b(c)").test("a.b(c)"), true, "regex characters are literal");
  });

  it("shell: deny wins over allow; an empty allow list allows what is not denied; rules are named by index", async () => {
    const spec = create(ToolCallGuardrailsSchema, { commandDenyPatterns: ["curl", "\\brm\\s+-rf\\b"], commandAllowPatterns: ["^ls\\b", "^echo\\b", "^rm\\b"] });
    const judge = (command: string) => evaluateToolCall(spec, "shell", { command }, volume.workspace);
    assert.deepEqual(await judge("rm -rf /"), { allowed: false, rule: "guardrails.tool_call.command_deny_patterns[1]", reason: "the command matches a command deny pattern" });
    assert.deepEqual([(await judge("echo hi"))?.allowed, (await judge("echo hi"))?.rule], [true, "guardrails.tool_call.command_allow_patterns[1]"]);
    assert.deepEqual([(await judge("cat /etc/passwd"))?.allowed, (await judge("cat x"))?.rule], [false, "guardrails.tool_call.command_allow_patterns"]);
    const denyOnly = create(ToolCallGuardrailsSchema, { commandDenyPatterns: ["curl"] });
    assert.equal((await evaluateToolCall(denyOnly, "shell", { command: "make test" }, volume.workspace))?.allowed, true);
    assert.equal(await evaluateToolCall(create(ToolCallGuardrailsSchema, {}), "shell", { command: "curl x" }, volume.workspace), undefined, "no active policy, no decision");
  });

  it("paths: deny and allow globs apply to the path as named and to its real path (a symlink cannot dodge them)", async () => {
    const spec = create(ToolCallGuardrailsSchema, { pathDeny: ["secrets/**"], pathAllow: ["src/**", "secrets/**", "*.md"] });
    const judge = (tool: string, path?: string) => evaluateToolCall(spec, tool, path === undefined ? {} : { path }, volume.workspace);
    assert.equal((await judge("read_file", "secrets/key.txt"))?.rule, "guardrails.tool_call.path_deny[0]");
    assert.equal((await judge("read_file", "./src/../secrets/key.txt"))?.allowed, false);
    assert.equal((await judge("read_file", join(volume.workspace, "secrets/key.txt")))?.allowed, false, "an absolute path inside the workspace");
    assert.equal((await judge("read_file", "src/innocent/key.txt"))?.allowed, false, "through a symlink into a denied directory");
    assert.equal((await judge("write_file", "src/new.ts"))?.allowed, true);
    assert.equal((await judge("write_file", "README.md"))?.allowed, true);
    assert.deepEqual([(await judge("write_file", "lib/x.ts"))?.allowed, (await judge("write_file", "lib/x.ts"))?.rule], [false, "guardrails.tool_call.path_allow"]);
    assert.equal((await judge("search_files"))?.allowed, false, "searching the root would read denied files");
    assert.equal(await judge("read_file", "../outside"), undefined, "escapes are the tool's to refuse");
  });

  it("http_fetch: the egress allow list and the private network, through the egress policy", async () => {
    const spec = create(ToolCallGuardrailsSchema, { egressAllowHosts: ["api.example.com", "*.docs.example.org", "*"] });
    const judge = (url: string, s = spec) => evaluateToolCall(s, "http_fetch", { url }, volume.workspace);
    assert.equal((await judge("https://api.example.com/v1"))?.allowed, true);
    assert.deepEqual([(await judge("http://169.254.169.254/latest/meta-data"))?.allowed, (await judge("http://127.0.0.1:8080/"))?.rule], [false, "guardrails.tool_call.allow_private_network"]);
    const narrow = create(ToolCallGuardrailsSchema, { egressAllowHosts: ["api.example.com"] });
    assert.deepEqual([(await judge("https://evil.example.net/", narrow))?.allowed, (await judge("https://evil.example.net/", narrow))?.rule], [false, "guardrails.tool_call.egress_allow_hosts"]);
    const inward = create(ToolCallGuardrailsSchema, { egressAllowHosts: ["127.0.0.1"], allowPrivateNetwork: true });
    assert.equal((await judge("http://127.0.0.1/", inward))?.allowed, true, "explicitly listed with allow_private_network");
    assert.equal((await judge("not a url", narrow))?.allowed, false);
  });

  it("approval: ToolSpec, McpServerSpec, approvals.tools globs and shell command patterns, with the timeout", () => {
    const spec = create(AgentSpecSchema, {
      tools: [{ name: "read_file" }, { name: "write_file", requireApproval: true }],
      mcpServers: [{ name: "github", requireApproval: true, transport: { case: "http", value: { url: "http://127.0.0.1/mcp" } } }],
      guardrails: { approvals: { tools: ["http_*"], commandPatterns: ["^git push"], timeout: durationFromMs(5000) } },
    });
    assert.deepEqual(approvalRequirement(spec, "write_file", {}), { rule: "tools[1].require_approval", reason: "every call of write_file waits for approval", timeoutMs: 5000 });
    assert.equal(approvalRequirement(spec, "github__create_issue", {})?.rule, "mcp_servers[0].require_approval");
    assert.equal(approvalRequirement(spec, "http_fetch", {})?.rule, "guardrails.approvals.tools[0]");
    assert.equal(approvalRequirement(spec, "shell", { command: "git push origin main" })?.rule, "guardrails.approvals.command_patterns[0]");
    assert.equal(approvalRequirement(spec, "shell", { command: "git status" }), undefined);
    assert.equal(approvalRequirement(spec, "read_file", {}), undefined);
    const noTimeout = create(AgentSpecSchema, { tools: [{ name: "shell", requireApproval: true }] });
    assert.equal(approvalRequirement(noTimeout, "shell", { command: "ls" })?.timeoutMs, defaultApprovalTimeoutMs);
  });
});
