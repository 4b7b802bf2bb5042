/**
 * Checks on an agent spec that the .proto's declarative rules cannot make: which model
 * providers the daemon has adapters for, RE2 patterns that must compile, globs that must stay
 * inside the workspace, tool-call arguments that must be JSON objects, and names that must not
 * repeat.
 *
 * Secret references (model.api_key, env, MCP headers) are deliberately not checked against
 * existing secrets, as Kubernetes does not check a pod's secret references: a file may create
 * the agent before its secret, a secret may be deleted or rotated at any time after the check
 * anyway, and answering "no such secret" would tell a caller who may write agents but not read
 * secrets which secrets exist. A session whose agent names a missing secret fails when its
 * daemon attaches, with the secret named in the reason.
 */
import { RE2JS } from "@bufbuild/re2";
import { ModelProvider, type AgentSpec, type EnvVar } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { FieldViolation, PathStep } from "./field-violations.js";

/**
 * The model providers the daemon has an adapter for. Every provider the API defines is here: a
 * spec is checked against the API's contract, not against one daemon build, so a stored agent
 * stays valid across upgrades. A provider added to the enum is refused until it is added here
 * together with its adapter.
 */
export const daemonModelProviders: ReadonlySet<ModelProvider> = new Set([
  ModelProvider.OPENAI,
  ModelProvider.OPENAI_COMPATIBLE,
  ModelProvider.ANTHROPIC,
  ModelProvider.SCRIPTED,
]);

/** Why `pattern` is not an RE2 pattern, or undefined when it compiles. */
export function re2Error(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Why a workspace-relative glob could never match inside the workspace, or undefined when it is fine. */
export function relativeGlobError(glob: string): string | undefined {
  if (glob.startsWith("/")) return "must be relative to the workspace, not absolute";
  if (glob.includes("\0")) return "must not contain NUL";
  if (glob.split("/").includes("..")) return "must not climb out with ..";
  return undefined;
}

/** Why tool-call arguments are not a JSON object, or undefined when they are (or are empty, meaning {}). */
function argumentsError(json: string): string | undefined {
  if (json === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return "must be a JSON object, e.g. {\"command\": \"ls\"}; it is not valid JSON";
  }
  return value !== null && typeof value === "object" && !Array.isArray(value) ? undefined : "must be a JSON object, e.g. {\"command\": \"ls\"}";
}

/** Collects violations with paths below a prefix. */
class Collector {
  readonly violations: FieldViolation[] = [];
  constructor(private readonly prefix: readonly PathStep[]) {}

  add(path: readonly PathStep[], ruleId: string, message: string): void {
    this.violations.push({ path: [...this.prefix, ...path], ruleId, message });
  }

  patterns(path: readonly PathStep[], patterns: readonly string[]): void {
    patterns.forEach((pattern, i) => {
      const error = re2Error(pattern);
      if (error) this.add([...path, i], "agent.pattern_re2", `is not a valid RE2 pattern: ${error}`);
    });
  }

  globs(path: readonly PathStep[], globs: readonly string[]): void {
    globs.forEach((glob, i) => {
      const error = relativeGlobError(glob);
      if (error) this.add([...path, i], "agent.glob_relative", error);
    });
  }

  uniqueEnv(path: readonly PathStep[], env: readonly EnvVar[]): void {
    const seen = new Set<string>();
    env.forEach((v, i) => {
      if (seen.has(v.name)) this.add([...path, i, "name"], "agent.env_unique", `repeats the variable "${v.name}"`);
      seen.add(v.name);
    });
  }
}

/** Every violation of the checks above in `spec`, with paths that start with `prefix` (the spec's place in the request). */
export function agentSpecViolations(spec: AgentSpec, prefix: readonly PathStep[]): FieldViolation[] {
  const c = new Collector(prefix);
  const model = spec.model;
  if (model && !daemonModelProviders.has(model.provider)) {
    const known = [...daemonModelProviders].map((p) => ModelProvider[p]).join(", ");
    c.add(["model", "provider"], "agent.model.provider_known", `the daemon has no adapter for provider ${ModelProvider[model.provider] ?? model.provider} (known: ${known})`);
  }
  model?.scripted?.turns.forEach((turn, t) => {
    const base: PathStep[] = ["model", "scripted", "turns", t];
    const matchError = turn.match === "" ? undefined : re2Error(turn.match);
    if (matchError) c.add([...base, "match"], "agent.pattern_re2", `is not a valid RE2 pattern: ${matchError}`);
    turn.steps.forEach((step, s) => {
      if (step.step.case !== "toolCall") return;
      const error = argumentsError(step.step.value.argumentsJson);
      if (error) c.add([...base, "steps", s, "toolCall", "argumentsJson"], "agent.scripted.arguments_object", error);
    });
  });
  c.patterns(["routingPatterns"], spec.routingPatterns);
  spec.knowledgeSources.forEach((source, i) => c.globs(["knowledgeSources", i, "include"], source.include));
  c.uniqueEnv(["env"], spec.env);
  spec.mcpServers.forEach((server, i) => {
    if (server.transport.case === "stdio") c.uniqueEnv(["mcpServers", i, "stdio", "env"], server.transport.value.env);
  });
  const g = spec.guardrails;
  if (g?.input) c.patterns(["guardrails", "input", "denyPatterns"], g.input.denyPatterns);
  if (g?.toolCall) {
    const base = ["guardrails", "toolCall"];
    c.patterns([...base, "commandAllowPatterns"], g.toolCall.commandAllowPatterns);
    c.patterns([...base, "commandDenyPatterns"], g.toolCall.commandDenyPatterns);
    c.globs([...base, "pathAllow"], g.toolCall.pathAllow);
    c.globs([...base, "pathDeny"], g.toolCall.pathDeny);
    g.toolCall.egressAllowHosts.forEach((host, i) => {
      const port = /:([0-9]+)$/.exec(host)?.[1];
      if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) c.add([...base, "egressAllowHosts", i], "agent.egress_port", `port ${port} is not between 1 and 65535`);
    });
  }
  if (g?.output) {
    c.patterns(["guardrails", "output", "denyPatterns"], g.output.denyPatterns);
    c.patterns(["guardrails", "output", "redactPatterns"], g.output.redactPatterns);
  }
  if (g?.approvals) c.patterns(["guardrails", "approvals", "commandPatterns"], g.approvals.commandPatterns);
  return c.violations;
}
