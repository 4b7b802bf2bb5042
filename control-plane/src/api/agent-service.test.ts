import assert from "node:assert/strict";
import { clone, create, equals, type MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ViolationsSchema } from "@raworc/proto/gen/buf/validate/validate_pb.js";
import { AgentService, AgentSpecSchema, ModelProvider, SecretKeyRefSchema, type AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ObjectMetaSchema } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RbacService, RoleScope, SubjectKind } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

async function failure(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    return ConnectError.from(error);
  }
  assert.fail("expected the call to fail");
}

/** A scripted agent that says hello, with a little of everything a spec holds. */
function scriptedSpec(): AgentSpec {
  return create(AgentSpecSchema, {
    description: "greets",
    instructions: "Be brief.",
    model: {
      provider: ModelProvider.SCRIPTED,
      scripted: {
        turns: [
          { match: "(?i)^bye\\b", steps: [{ step: { case: "text", value: "Goodbye." } }] },
          {
            steps: [
              { step: { case: "text", value: "Hello" } },
              { step: { case: "delay", value: { nanos: 50_000_000 } } },
              { step: { case: "text", value: ", world." } },
              { step: { case: "toolCall", value: { name: "list_files", argumentsJson: '{"path": "."}' } } },
            ],
          },
        ],
      },
    },
    tools: [{ name: "list_files", timeout: { seconds: 30n } }],
    routingPatterns: ["^greet"],
    guardrails: { input: { denyPatterns: ["\\bpassword\\b"] }, toolCall: { pathDeny: ["secrets/**"] } },
    env: [{ name: "GREETING", source: { case: "value", value: "hi" } }],
  });
}

type SpecEdit = (spec: AgentSpec) => void;

/** Every check on write: an edit of a valid spec, the field the error must name, and the rule. */
const invalidSpecs: [what: string, edit: SpecEdit, field: string, rule: string][] = [
  ["an unspecified provider", (s) => (s.model!.provider = ModelProvider.UNSPECIFIED), "agent.spec.model.provider", "enum.not_in"],
  ["a provider the API does not define", (s) => (s.model!.provider = 99 as ModelProvider), "agent.spec.model.provider", "enum.defined_only"],
  ["SCRIPTED without a script", (s) => (s.model!.scripted = undefined), "agent.spec.model", "model.scripted"],
  ["a script for another provider", (s) => Object.assign(s.model!, { provider: ModelProvider.ANTHROPIC, name: "claude", apiKey: create(SecretKeyRefSchema, { secret: "llm", key: "KEY" }) }), "agent.spec.model", "model.scripted"],
  ["OPENAI_COMPATIBLE without a base URL", (s) => Object.assign(s.model!, { provider: ModelProvider.OPENAI_COMPATIBLE, name: "llama", scripted: undefined }), "agent.spec.model", "model.base_url_required"],
  ["OPENAI without an API key", (s) => Object.assign(s.model!, { provider: ModelProvider.OPENAI, name: "gpt-4.1", scripted: undefined }), "agent.spec.model", "model.api_key_required"],
  ["a builtin tool the daemon does not know", (s) => (s.tools[0]!.name = "format_disk"), "agent.spec.tools[0].name", "string.in"],
  ["a routing pattern that does not compile", (s) => (s.routingPatterns = ["^greet", "(unclosed"]), "agent.spec.routing_patterns[1]", "agent.pattern_re2"],
  ["a look-ahead, which JavaScript has and RE2 does not", (s) => (s.routingPatterns = ["^(?=greet)"]), "agent.spec.routing_patterns[0]", "agent.pattern_re2"],
  ["a back-reference, which RE2 does not have", (s) => (s.guardrails!.input!.denyPatterns = ["(a)\\1"]), "agent.spec.guardrails.input.deny_patterns[0]", "agent.pattern_re2"],
  ["a scripted turn's match", (s) => (s.model!.scripted!.turns[0]!.match = "[a-"), "agent.spec.model.scripted.turns[0].match", "agent.pattern_re2"],
  ["a command allow pattern", (s) => (s.guardrails!.toolCall!.commandAllowPatterns = ["*ls"]), "agent.spec.guardrails.tool_call.command_allow_patterns[0]", "agent.pattern_re2"],
  ["a command deny pattern", (s) => (s.guardrails!.toolCall!.commandDenyPatterns = ["rm (-rf"]), "agent.spec.guardrails.tool_call.command_deny_patterns[0]", "agent.pattern_re2"],
  ["an output deny pattern", (s) => (s.guardrails!.output = { $typeName: "raworc.v1.OutputGuardrails", redactSecrets: false, redactPii: false, denyPatterns: ["a{2,1}"], redactPatterns: [] }), "agent.spec.guardrails.output.deny_patterns[0]", "agent.pattern_re2"],
  ["an output redact pattern", (s) => (s.guardrails!.output = { $typeName: "raworc.v1.OutputGuardrails", redactSecrets: false, redactPii: false, denyPatterns: [], redactPatterns: ["sk-[a-z"] }), "agent.spec.guardrails.output.redact_patterns[0]", "agent.pattern_re2"],
  ["an approval command pattern", (s) => (s.guardrails!.approvals = { $typeName: "raworc.v1.ApprovalPolicy", tools: [], commandPatterns: ["(?<name>x)y)"] }), "agent.spec.guardrails.approvals.command_patterns[0]", "agent.pattern_re2"],
  ["an absolute path glob", (s) => (s.guardrails!.toolCall!.pathAllow = ["/etc/**"]), "agent.spec.guardrails.tool_call.path_allow[0]", "agent.glob_relative"],
  ["a path glob that climbs out", (s) => (s.guardrails!.toolCall!.pathDeny = ["src/../../x"]), "agent.spec.guardrails.tool_call.path_deny[0]", "agent.glob_relative"],
  ["an absolute knowledge include", (s) => (s.knowledgeSources = [{ $typeName: "raworc.v1.KnowledgeSource", path: "docs", description: "", include: ["/*.md"] }]), "agent.spec.knowledge_sources[0].include[0]", "agent.glob_relative"],
  ["scripted tool arguments that are not an object", (s) => (s.model!.scripted!.turns[1]!.steps[3]!.step = { case: "toolCall", value: { $typeName: "raworc.v1.ScriptedToolCall", name: "shell", argumentsJson: '["ls"]' } }), "agent.spec.model.scripted.turns[1].steps[3].tool_call.arguments_json", "agent.scripted.arguments_object"],
  ["a repeated environment variable", (s) => s.env.push(clone(AgentSpecSchema, s).env[0]!), "agent.spec.env[1].name", "agent.env_unique"],
  ["an egress port out of range", (s) => (s.guardrails!.toolCall!.egressAllowHosts = ["api.example.com:70000"]), "agent.spec.guardrails.tool_call.egress_allow_hosts[0]", "agent.egress_port"],
];

describe("AgentService (real server, real PostgreSQL)", function () {
  let t: TestServer;
  let token: string;
  let admin: Client<typeof AgentService>;
  before(async () => {
    t = await startTestServer();
    token = await login(t.url, "admin", t.adminPassword);
    admin = clientOf(AgentService, t.url, token);
  });
  after(async () => t?.stop());

  const createAgent = (name: string, spec: AgentSpec = scriptedSpec(), namespace = "default", labels: Record<string, string> = {}) =>
    admin.createAgent({ agent: { metadata: { name, namespace, labels }, spec } });
  const addNamespace = (name: string) => clientOf(NamespaceService, t.url, token).createNamespace({ namespace: { metadata: { name } } });

  it("creates, gets, lists, updates and deletes an agent, returning the spec exactly as sent", async () => {
    const created = (await createAgent("greeter", scriptedSpec(), "default", { team: "a" })).agent!;
    assert.equal(created.metadata?.resourceVersion, "1");
    assert.match(created.metadata?.uid ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(equals(AgentSpecSchema, created.spec!, scriptedSpec()), "the stored spec is the one sent");

    const got = (await admin.getAgent({ ref: { namespace: "default", name: "greeter" } })).agent!;
    assert.ok(equals(AgentSpecSchema, got.spec!, scriptedSpec()));
    assert.deepEqual(got.metadata?.labels, { team: "a" });
    await createAgent("other", scriptedSpec(), "default", { team: "b" });
    const listed = await admin.listAgents({ namespace: "default", labelSelector: "team=a" });
    assert.deepEqual(listed.agents.map((a) => a.metadata?.name), ["greeter"]);
    assert.equal(listed.agents[0]?.spec?.model?.scripted?.turns.length, 2);

    const spec = clone(AgentSpecSchema, got.spec!);
    spec.instructions = "Be briefer.";
    spec.model!.scripted!.turns.pop();
    const updated = (await admin.updateAgent({ agent: { metadata: { ...got.metadata, labels: { team: "c" } }, spec } })).agent!;
    assert.equal(updated.metadata?.resourceVersion, "2");
    assert.equal(updated.spec?.instructions, "Be briefer.");
    assert.deepEqual(updated.metadata?.labels, { team: "c" });
    assert.equal((await admin.getAgent({ ref: { namespace: "default", name: "greeter" } })).agent?.spec?.model?.scripted?.turns.length, 1);

    await admin.deleteAgent({ ref: { namespace: "default", name: "greeter" } });
    const gone = await failure(admin.getAgent({ ref: { namespace: "default", name: "greeter" } }));
    assert.equal(gone.code, Code.NotFound);
    assert.match(gone.rawMessage, /Agent "default\/greeter" not found/);
    assert.equal((await failure(admin.deleteAgent({ ref: { namespace: "default", name: "greeter" } }))).code, Code.NotFound);
    assert.equal((await failure(admin.updateAgent({ agent: { metadata: { namespace: "default", name: "greeter" }, spec } }))).code, Code.NotFound);
    const dup = await failure(createAgent("other"));
    assert.equal(dup.code, Code.AlreadyExists);
    assert.match(dup.rawMessage, /Agent "default\/other" already exists/);
  });

  for (const [what, edit, field, rule] of invalidSpecs) {
    it(`refuses ${what} with INVALID_ARGUMENT naming ${field}`, async () => {
      const spec = scriptedSpec();
      edit(spec);
      const error = await failure(createAgent("invalid", spec));
      assert.equal(error.code, Code.InvalidArgument, error.rawMessage);
      assert.ok(error.rawMessage.startsWith(`${field}: `), error.rawMessage);
      assert.ok(error.rawMessage.includes(`[${rule}]`), error.rawMessage);
      assert.equal((await failure(admin.getAgent({ ref: { namespace: "default", name: "invalid" } }))).code, Code.NotFound, "nothing was stored");
    });
  }

  it("lists every violation in the error's details, for the CLI to show", async () => {
    const spec = scriptedSpec();
    spec.routingPatterns = ["(", "ok", "["];
    spec.guardrails!.toolCall!.pathAllow = ["/abs"];
    const error = await failure(createAgent("many", spec));
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, /^agent\.spec\.routing_patterns\[0\]: is not a valid RE2 pattern: .*, and 2 more violations$/);
    const violations = error.findDetails(ViolationsSchema).flatMap((d) => d.violations);
    const paths = violations.map((v) => v.field?.elements.map((e) => (e.subscript.case === "index" ? `${e.fieldName}[${e.subscript.value}]` : e.fieldName)).join("."));
    assert.deepEqual(paths, ["agent.spec.routing_patterns[0]", "agent.spec.routing_patterns[2]", "agent.spec.guardrails.tool_call.path_allow[0]"]);
    assert.deepEqual(violations.map((v) => v.field?.elements[2]?.fieldNumber), [7, 7, 6], "field numbers are AgentSpec's");
  });

  it("checks updates as it checks creates, and keeps the stored spec when refusing one", async () => {
    const agent = (await createAgent("checked")).agent!;
    const spec = clone(AgentSpecSchema, agent.spec!);
    spec.routingPatterns = ["(?!negative)"];
    const error = await failure(admin.updateAgent({ agent: { metadata: agent.metadata, spec } }));
    assert.equal(error.code, Code.InvalidArgument);
    assert.match(error.rawMessage, /^agent\.spec\.routing_patterns\[0\]: /);
    const stored = (await admin.getAgent({ ref: { namespace: "default", name: "checked" } })).agent!;
    assert.deepEqual(stored.spec?.routingPatterns, ["^greet"]);
    assert.equal(stored.metadata?.resourceVersion, "1");
  });

  it("accepts every provider the API defines, and secret references to secrets that do not exist yet", async () => {
    const providers: [string, MessageInitShape<typeof AgentSpecSchema>["model"]][] = [
      ["openai", { provider: ModelProvider.OPENAI, name: "gpt-4.1", apiKey: { secret: "not-yet", key: "OPENAI_API_KEY" } }],
      ["anthropic", { provider: ModelProvider.ANTHROPIC, name: "claude-sonnet-4-5", apiKey: { secret: "not-yet", key: "ANTHROPIC_API_KEY" } }],
      ["local", { provider: ModelProvider.OPENAI_COMPATIBLE, name: "llama3", baseUrl: "http://localhost:11434/v1" }],
    ];
    for (const [name, model] of providers) {
      const spec = create(AgentSpecSchema, { model, env: [{ name: "TOKEN", source: { case: "secret", value: { secret: "missing", key: "T" } } }] });
      const agent = (await createAgent(`provider-${name}`, spec)).agent!;
      assert.equal(agent.spec?.model?.provider, model?.provider, name);
    }
  });

  it("refuses an update with a stale resource_version with ABORTED and keeps the stored spec", async () => {
    const agent = (await createAgent("racer")).agent!;
    const first = clone(AgentSpecSchema, agent.spec!);
    first.description = "first";
    await admin.updateAgent({ agent: { metadata: agent.metadata, spec: first } });
    const second = clone(AgentSpecSchema, agent.spec!);
    second.description = "second";
    const stale = await failure(admin.updateAgent({ agent: { metadata: agent.metadata, spec: second } }));
    assert.equal(stale.code, Code.Aborted);
    assert.equal((await admin.getAgent({ ref: { namespace: "default", name: "racer" } })).agent?.spec?.description, "first");
    const metadata = clone(ObjectMetaSchema, agent.metadata!);
    metadata.resourceVersion = "x1";
    const malformed = await failure(admin.updateAgent({ agent: { metadata, spec: second } }));
    assert.equal(malformed.code, Code.InvalidArgument);
  });

  it("needs an existing namespace, and deleting the namespace deletes its agents", async () => {
    const nowhere = await failure(createAgent("lost", scriptedSpec(), "no-such-namespace"));
    assert.equal(nowhere.code, Code.FailedPrecondition);
    assert.match(nowhere.rawMessage, /namespace "no-such-namespace" does not exist/);
    const global = await failure(admin.createAgent({ agent: { metadata: { name: "global" }, spec: scriptedSpec() } }));
    assert.equal(global.code, Code.InvalidArgument, "agents are namespaced");

    await addNamespace("short-lived");
    await createAgent("doomed", scriptedSpec(), "short-lived");
    await clientOf(NamespaceService, t.url, token).deleteNamespace({ name: "short-lived" });
    await addNamespace("short-lived");
    assert.deepEqual((await admin.listAgents({ namespace: "short-lived" })).agents, [], "a namespace of the same name starts empty");
  });

  it("pages through a list in (namespace, name) order", async () => {
    await addNamespace("paging");
    for (let i = 0; i < 5; i++) await createAgent(`page-${i}`, scriptedSpec(), "paging");
    const names: string[] = [];
    let pageToken = "";
    do {
      const page = await admin.listAgents({ namespace: "paging", pageSize: 2, pageToken });
      assert.ok(page.agents.length <= 2);
      names.push(...page.agents.map((a) => a.metadata!.name));
      pageToken = page.nextPageToken;
    } while (pageToken);
    assert.deepEqual(names, [0, 1, 2, 3, 4].map((i) => `page-${i}`));
  });

  it("lets a developer bound in team-a create and list agents there and nowhere else", async () => {
    for (const ns of ["team-a", "team-b"]) await addNamespace(ns);
    await createAgent("b-agent", scriptedSpec(), "team-b");
    await clientOf(ServiceAccountService, t.url, token).createServiceAccount({
      serviceAccount: { metadata: { namespace: "team-a", name: "alice" }, active: true },
      password: "alice-password-123",
    });
    await clientOf(RbacService, t.url, token).createRoleBinding({
      roleBinding: {
        metadata: { namespace: "team-a", name: "alice-developer" },
        roleRef: { scope: RoleScope.GLOBAL, name: "developer" },
        subjects: [{ kind: SubjectKind.SERVICE_ACCOUNT, namespace: "team-a", name: "alice" }],
      },
    });

    const alice = clientOf(AgentService, t.url, await login(t.url, "team-a/alice", "alice-password-123"));
    await alice.createAgent({ agent: { metadata: { namespace: "team-a", name: "a-agent" }, spec: scriptedSpec() } });
    assert.deepEqual((await alice.listAgents({})).agents.map((a) => `${a.metadata?.namespace}/${a.metadata?.name}`), ["team-a/a-agent"]);
    assert.deepEqual((await alice.listAgents({ namespace: "team-a" })).agents.map((a) => a.metadata?.name), ["a-agent"]);
    for (const call of [
      () => alice.createAgent({ agent: { metadata: { namespace: "team-b", name: "x" }, spec: scriptedSpec() } }),
      () => alice.listAgents({ namespace: "team-b" }),
      () => alice.getAgent({ ref: { namespace: "team-b", name: "b-agent" } }),
      () => alice.deleteAgent({ ref: { namespace: "team-b", name: "b-agent" } }),
    ]) {
      assert.equal((await failure(call())).code, Code.PermissionDenied);
    }
    assert.ok((await admin.getAgent({ ref: { namespace: "team-b", name: "b-agent" } })).agent, "a denied delete deletes nothing");
    assert.equal((await failure(clientOf(AgentService, t.url).listAgents({}))).code, Code.Unauthenticated);
  });
});
