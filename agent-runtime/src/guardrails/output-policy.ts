/**
 * Output guardrails (OutputGuardrails) as one policy over text the agent sends back (reply text,
 * tool results, tool arguments shown in events): which spans to replace by "[REDACTED]" and
 * whether a deny pattern withholds it. The values of the secrets delivered to the session are
 * always redacted, whatever the spec says; redact_secrets adds well-known credential formats,
 * redact_pii personal data, redact_patterns the spec's own patterns.
 */
import type { OutputGuardrails } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { credentialFormats } from "./credential-patterns.js";
import { piiFormats } from "./pii-patterns.js";
import { compileSpanPattern, spansOf, type Span } from "./re2-spans.js";
import { compileRules, firstMatch, type RulePattern } from "./rule-patterns.js";
import { deliveredSecretsRule } from "./verdict.js";

/** What replaces a redacted span. */
export const redactedMarker = "[REDACTED]";

/** The TurnFailed reason of a turn whose output a deny pattern withheld. */
export const outputDeniedReason = "OutputDenied";

/** Characters held back while streaming when a pattern is active: a match longer than this that spans deltas may be cut. */
export const patternWindow = 256;

/** Secret values shorter than this are not redacted: they would redact ordinary text everywhere. */
export const minSecretLength = 4;

/** One span to redact and the rule that asks for it. */
export interface RedactionHit extends Span {
  readonly rule: string;
  readonly reason: string;
}

/** Text after redaction, with the rules that redacted something (each once, with its reason). */
export interface Redaction {
  readonly text: string;
  readonly rules: ReadonlyMap<string, string>;
}

/** The output policy of one turn. */
export interface OutputPolicy {
  /** Every span to redact in `text`, unmerged. */
  find(text: string): RedactionHit[];
  /** `text` with every hit replaced by the marker. */
  redact(text: string): Redaction;
  /** The deny rule `text` matches, if any. */
  denied(text: string): RulePattern | undefined;
  /**
   * How many trailing characters of `pending` a stream must hold back so a match split across
   * deltas is still caught: for secret values, exactly the tail that could begin one; with any
   * pattern active, a fixed window.
   */
  holdback(pending: string): number;
}

/** The forms a secret value can take in what the daemon emits: as is, and escaped inside a JSON string. */
function secretForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < minSecretLength) continue;
    forms.add(value);
    forms.add(JSON.stringify(value).slice(1, -1));
  }
  // Longest first, so a secret that contains another is redacted whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

function literalSpans(text: string, literal: string): Span[] {
  const spans: Span[] = [];
  for (let at = text.indexOf(literal); at !== -1; at = text.indexOf(literal, at + literal.length)) spans.push({ start: at, end: at + literal.length });
  return spans;
}

/** Replaces the union of `hits` in `text` by the marker. */
export function applyHits(text: string, hits: readonly RedactionHit[]): string {
  const sorted = [...hits].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const hit of sorted) {
    if (hit.end <= at) continue;
    if (hit.start >= at) {
      out += text.slice(at, hit.start) + redactedMarker;
    }
    at = Math.max(at, hit.end);
  }
  return out + text.slice(at);
}

/** Builds the output policy from the spec and the values of the session's delivered secrets. */
export function createOutputPolicy(spec: OutputGuardrails | undefined, secretValues: readonly string[]): OutputPolicy {
  const secrets = secretForms(secretValues);
  const patterns = (spec?.redactPatterns ?? []).map((source, index) => ({ rule: `guardrails.output.redact_patterns[${index}]`, pattern: compileSpanPattern(source) }));
  const deny = compileRules("guardrails.output.deny_patterns", spec?.denyPatterns ?? []);
  const find = (text: string): RedactionHit[] => {
    const hits: RedactionHit[] = [];
    for (const secret of secrets) {
      for (const span of literalSpans(text, secret)) hits.push({ ...span, rule: deliveredSecretsRule, reason: "a value of a secret delivered to the session" });
    }
    if (spec?.redactSecrets) {
      for (const format of credentialFormats) {
        for (const span of spansOf(format.pattern, text)) hits.push({ ...span, rule: "guardrails.output.redact_secrets", reason: `a credential-like string (${format.name})` });
      }
    }
    if (spec?.redactPii) {
      for (const format of piiFormats) {
        for (const span of spansOf(format.pattern, text, format.accept)) hits.push({ ...span, rule: "guardrails.output.redact_pii", reason: `personal data (${format.name})` });
      }
    }
    for (const { rule, pattern } of patterns) {
      for (const span of pattern.spans(text)) hits.push({ ...span, rule, reason: "text matching a redact pattern" });
    }
    return hits;
  };
  const patternsActive = Boolean(spec?.redactSecrets || spec?.redactPii || patterns.length > 0 || deny.length > 0);
  return {
    find,
    redact(text) {
      const hits = find(text);
      const rules = new Map<string, string>();
      for (const hit of hits) if (!rules.has(hit.rule)) rules.set(hit.rule, hit.reason);
      return { text: hits.length === 0 ? text : applyHits(text, hits), rules };
    },
    denied: (text) => firstMatch(deny, text),
    holdback(pending) {
      let hold = patternsActive ? patternWindow : 0;
      for (const secret of secrets) {
        for (let length = Math.min(secret.length - 1, pending.length); length > hold; length--) {
          if (pending.endsWith(secret.slice(0, length))) {
            hold = length;
            break;
          }
        }
      }
      return hold;
    },
  };
}
