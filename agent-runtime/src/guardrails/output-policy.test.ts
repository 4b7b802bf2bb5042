import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { OutputGuardrailsSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { createOutputPolicy, patternWindow, redactedMarker } from "./output-policy.js";
import { passesLuhn } from "./pii-patterns.js";
import { StreamRedactor } from "./stream-redactor.js";
import { deliveredSecretsRule } from "./verdict.js";

const secret = "canary-7f3e9a1c55";

/** Streams `deltas` through a redactor and returns what it released, and the deny rule if one stopped it. */
function stream(redactor: StreamRedactor, deltas: readonly string[]): { text: string; denied?: string; rules: string[] } {
  let text = "";
  const rules = new Set<string>();
  for (const delta of deltas) {
    const step = redactor.push(delta);
    if (step.denied) return { text, denied: step.denied.rule, rules: [...rules] };
    text += step.text;
    for (const rule of step.redactions.keys()) rules.add(rule);
  }
  const last = redactor.flush();
  if (last.denied) return { text, denied: last.denied.rule, rules: [...rules] };
  for (const rule of last.redactions.keys()) rules.add(rule);
  return { text: text + last.text, rules: [...rules] };
}

describe("output guardrails", () => {
  it("always redacts the session's secret values, also JSON-escaped, whatever the spec says", () => {
    const policy = createOutputPolicy(undefined, [secret, 'quo"te-secret', "abc"]);
    const redaction = policy.redact(`key=${secret} json={"v":"quo\\"te-secret"} short=abc`);
    assert.equal(redaction.text, `key=${redactedMarker} json={"v":"${redactedMarker}"} short=abc`);
    assert.deepEqual([...redaction.rules.keys()], [deliveredSecretsRule]);
  });

  it("redacts credential formats only with redact_secrets, and PII with redact_pii (cards by Luhn)", () => {
    const text = "token ghp_abcdefghijklmnopqrstuvwxyz0123456789 mail ann@example.org card 4111 1111 1111 1111 order 4111 1111 1111 1112 call +1 415-555-0134";
    assert.equal(createOutputPolicy(undefined, []).redact(text).text, text);
    const secrets = createOutputPolicy(create(OutputGuardrailsSchema, { redactSecrets: true }), []).redact(text);
    assert.doesNotMatch(secrets.text, /ghp_/);
    assert.match(secrets.text, /ann@example\.org/);
    const pii = createOutputPolicy(create(OutputGuardrailsSchema, { redactPii: true }), []).redact(text);
    assert.doesNotMatch(pii.text, /ann@example|4111 1111 1111 1111|555-0134/);
    assert.match(pii.text, /4111 1111 1111 1112/, "a number failing the Luhn check is not a card");
    assert.deepEqual([...pii.rules.keys()], ["guardrails.output.redact_pii"]);
    assert.ok(passesLuhn("4242-4242-4242-4242") && !passesLuhn("1234 5678 9012 3456"));
  });

  it("redacts the spec's RE2 patterns, RE2-only spellings included, and finds deny patterns", () => {
    const policy = createOutputPolicy(create(OutputGuardrailsSchema, { redactPatterns: ["(?i)project-(?P<code>[a-z]+)\\z", "ticket-\\d+"], denyPatterns: ["forbidden", "launch codes"] }), []);
    assert.equal(policy.redact("see ticket-42 and PROJECT-zeus").text, `see ${redactedMarker} and ${redactedMarker}`);
    assert.equal(policy.denied("the launch codes are")?.rule, "guardrails.output.deny_patterns[1]");
    assert.equal(policy.denied("all fine"), undefined);
  });

  it("streams: a secret and a deny match split across two deltas are caught before any part is emitted", () => {
    const redactor = new StreamRedactor(createOutputPolicy(create(OutputGuardrailsSchema, { denyPatterns: ["launch codes"] }), [secret]));
    const split = stream(redactor, ["The key is canary-7f3e", "9a1c55, keep it."]);
    assert.equal(split.text, `The key is ${redactedMarker}, keep it.`);
    assert.deepEqual(split.rules, [deliveredSecretsRule]);
    const denied = stream(new StreamRedactor(createOutputPolicy(create(OutputGuardrailsSchema, { denyPatterns: ["launch codes"] }), [])), ["Here are the launch", " codes: 0000"]);
    assert.equal(denied.denied, "guardrails.output.deny_patterns[0]");
    assert.doesNotMatch(denied.text, /launch/, "the first half of the match was held back, not emitted");
  });

  it("streams: holds back only what could begin a secret, or a bounded window when patterns are active", () => {
    const secretsOnly = new StreamRedactor(createOutputPolicy(undefined, [secret]));
    assert.equal(secretsOnly.push("Hello").text, "Hello", "nothing that could begin a secret: released at once");
    assert.equal(secretsOnly.push(" canary-7f").text, " ", "the tail that could begin the secret waits");
    assert.equal(secretsOnly.push("ish").text, "canary-7fish");
    const withPatterns = new StreamRedactor(createOutputPolicy(create(OutputGuardrailsSchema, { redactPii: true }), []));
    const first = withPatterns.push("x".repeat(1000));
    assert.equal(first.text.length, 1000 - patternWindow);
    assert.equal(first.text + withPatterns.flush().text, "x".repeat(1000));
  });
});
