/**
 * Tool-call guardrails (ToolCallGuardrails), evaluated before a call runs: command allow and
 * deny patterns for shell, path allow and deny globs for the file tools (on the path as named
 * and on its real path, so a symlink cannot dodge a rule), and the egress allow list for
 * http_fetch (through tools/egress-policy.ts; the tool still checks every resolved address at
 * connect time). Deny rules win over allow rules. A tool no active policy concerns is simply
 * allowed, without a decision.
 */
import { isIP } from "node:net";
import type { ToolCallGuardrails } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { isPublicAddress, matchHost, METADATA_HOSTS } from "../tools/egress-policy.js";
import { resolveInWorkspace } from "../tools/workspace-path.js";
import { compileGlob, type Glob } from "./glob.js";
import { compileRules, firstMatch } from "./rule-patterns.js";

/** How a tool-call policy judged a call; `undefined` from {@link evaluateToolCall} means no policy applied. */
export interface ToolCallJudgement {
  readonly allowed: boolean;
  readonly rule: string;
  readonly reason: string;
}

/** File tools and the argument that names their path (and its default). */
const pathArguments: Readonly<Record<string, { readonly key: string; readonly fallback?: string }>> = {
  read_file: { key: "path" },
  write_file: { key: "path" },
  edit_file: { key: "path" },
  list_files: { key: "path", fallback: "." },
  search_files: { key: "path", fallback: "." },
};

interface NamedGlob {
  readonly rule: string;
  readonly glob: Glob;
}

const globs = (base: string, list: readonly string[]): NamedGlob[] => list.map((glob, index) => ({ rule: `${base}[${index}]`, glob: compileGlob(glob) }));

/** Judges one call of tool `name` with parsed `args` in `workspace`; undefined when no tool-call policy concerns it. */
export async function evaluateToolCall(
  spec: ToolCallGuardrails | undefined,
  name: string,
  args: Readonly<Record<string, unknown>>,
  workspace: string,
): Promise<ToolCallJudgement | undefined> {
  if (!spec) return undefined;
  if (name === "shell") return judgeCommand(spec, typeof args.command === "string" ? args.command : "");
  const pathArgument = pathArguments[name];
  if (pathArgument) {
    const value = args[pathArgument.key];
    return judgePath(spec, name, typeof value === "string" ? value : (pathArgument.fallback ?? ""), workspace);
  }
  if (name === "http_fetch") return judgeEgress(spec, typeof args.url === "string" ? args.url : "");
  return undefined;
}

function judgeCommand(spec: ToolCallGuardrails, command: string): ToolCallJudgement | undefined {
  if (spec.commandAllowPatterns.length === 0 && spec.commandDenyPatterns.length === 0) return undefined;
  const denied = firstMatch(compileRules("guardrails.tool_call.command_deny_patterns", spec.commandDenyPatterns), command);
  if (denied) return { allowed: false, rule: denied.rule, reason: "the command matches a command deny pattern" };
  if (spec.commandAllowPatterns.length === 0) return { allowed: true, rule: "guardrails.tool_call.command_deny_patterns", reason: "the command matches no command deny pattern" };
  const allowed = firstMatch(compileRules("guardrails.tool_call.command_allow_patterns", spec.commandAllowPatterns), command);
  if (allowed) return { allowed: true, rule: allowed.rule, reason: "the command matches a command allow pattern" };
  return { allowed: false, rule: "guardrails.tool_call.command_allow_patterns", reason: "the command matches none of the command allow patterns" };
}

/** `userPath` relative to the workspace with "/" separators, lexically; undefined when it leaves the workspace (the tool refuses it anyway). */
function lexicalRelative(workspace: string, userPath: string): string | undefined {
  const root = workspace.replace(/\/+$/, "");
  let path = userPath;
  if (path.startsWith("/")) {
    if (path !== root && !path.startsWith(`${root}/`)) return undefined;
    path = path.slice(root.length);
  }
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.pop() === undefined) return undefined;
    } else out.push(segment);
  }
  return out.join("/");
}

async function judgePath(spec: ToolCallGuardrails, tool: string, userPath: string, workspace: string): Promise<ToolCallJudgement | undefined> {
  if (spec.pathAllow.length === 0 && spec.pathDeny.length === 0) return undefined;
  const nominal = lexicalRelative(workspace, userPath);
  // A path that escapes the workspace is refused by the tool itself; the policy has nothing to add.
  if (nominal === undefined) return undefined;
  const candidates = new Set([nominal]);
  try {
    candidates.add((await resolveInWorkspace(workspace, userPath)).relative);
  } catch {
    // The tool refuses what does not resolve inside the workspace.
  }
  const deny = globs("guardrails.tool_call.path_deny", spec.pathDeny);
  for (const candidate of candidates) {
    const hit = deny.find(({ glob }) => glob.test(candidate));
    if (hit) return { allowed: false, rule: hit.rule, reason: `the path is under a path_deny glob` };
    // Searching a directory reads every file below it, so a denied path inside it denies the search.
    if (tool === "search_files") {
      const below = deny.find(({ glob }) => candidate === "" || glob.literalPrefix === "" || glob.literalPrefix.startsWith(`${candidate}/`));
      if (below) return { allowed: false, rule: below.rule, reason: "the search would read files under a path_deny glob" };
    }
  }
  if (spec.pathAllow.length === 0) return { allowed: true, rule: "guardrails.tool_call.path_deny", reason: "the path is under no path_deny glob" };
  const allow = globs("guardrails.tool_call.path_allow", spec.pathAllow);
  const matched = [...candidates].map((candidate) => allow.find(({ glob }) => glob.test(candidate)));
  if (matched.every((hit) => hit !== undefined)) return { allowed: true, rule: matched[0]?.rule ?? "guardrails.tool_call.path_allow", reason: "the path is under a path_allow glob" };
  return { allowed: false, rule: "guardrails.tool_call.path_allow", reason: "the path is under none of the path_allow globs" };
}

function judgeEgress(spec: ToolCallGuardrails, url: string): ToolCallJudgement {
  const rule = "guardrails.tool_call.egress_allow_hosts";
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { allowed: false, rule, reason: "the URL does not parse, so its host cannot be checked" };
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const port = parsed.port ? Number(parsed.port) : parsed.protocol === "https:" ? 443 : 80;
  const policy = { allowHosts: spec.egressAllowHosts, allowPrivateNetwork: spec.allowPrivateNetwork };
  const match = matchHost(policy, host, port);
  if (match === "none") return { allowed: false, rule, reason: `host ${host} (port ${port}) is not in egress_allow_hosts` };
  const inward = METADATA_HOSTS.has(host) || host === "localhost" || (isIP(host) !== 0 && !isPublicAddress(host));
  if (inward && !(spec.allowPrivateNetwork && match === "explicit")) {
    return { allowed: false, rule: "guardrails.tool_call.allow_private_network", reason: `host ${host} is a loopback, private, link-local or metadata address` };
  }
  return { allowed: true, rule, reason: `host ${host} is allowed by egress_allow_hosts` };
}
