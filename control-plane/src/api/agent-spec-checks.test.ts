import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { agentSpecViolations, re2Error, relativeGlobError } from "./agent-spec-checks.js";

const scripted = (argumentsJson: string) =>
  create(AgentSpecSchema, {
    model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "toolCall", value: { name: "shell", argumentsJson } } }] }] } },
  });

describe("agent spec checks", () => {
  it("refuse a provider the daemon has no adapter for, naming the ones it has", () => {
    const spec = create(AgentSpecSchema, { model: { provider: 42 as ModelProvider, name: "future" } });
    const [violation, ...rest] = agentSpecViolations(spec, ["agent", "spec"]);
    assert.deepEqual(rest, []);
    assert.deepEqual(violation?.path, ["agent", "spec", "model", "provider"]);
    assert.equal(violation?.ruleId, "agent.model.provider_known");
    assert.match(violation?.message ?? "", /no adapter for provider 42 \(known: OPENAI, OPENAI_COMPATIBLE, ANTHROPIC, SCRIPTED\)/);
  });

  it("judge patterns by RE2, not by JavaScript: flags groups pass, look-around and back-references fail", () => {
    assert.equal(re2Error("(?i)^hello\\b"), undefined, "RE2 flag groups, which JavaScript refuses");
    assert.equal(re2Error("(?P<word>\\w+)"), undefined);
    assert.ok(re2Error("(?<=a)b"), "look-behind, which JavaScript accepts");
    assert.ok(re2Error("(a)\\1"), "back-reference, which JavaScript accepts");
  });

  it("keep globs inside the workspace", () => {
    assert.equal(relativeGlobError("src/**/*.ts"), undefined);
    assert.equal(relativeGlobError("..foo/bar"), undefined, "a name that starts with dots is not a parent");
    assert.match(relativeGlobError("/etc/passwd") ?? "", /relative/);
    assert.match(relativeGlobError("a/../../b") ?? "", /\.\./);
  });

  it("take empty scripted tool arguments as {} and refuse JSON that is not an object", () => {
    assert.deepEqual(agentSpecViolations(scripted(""), []), []);
    assert.deepEqual(agentSpecViolations(scripted('{"command": "ls"}'), []), []);
    for (const bad of ["[]", "null", "3", "{nope"]) {
      assert.deepEqual(agentSpecViolations(scripted(bad), []).map((v) => v.ruleId), ["agent.scripted.arguments_object"], bad);
    }
  });
});
