/**
 * The RE2 pattern lists of a guardrail spec, compiled once per turn, each pattern remembered with
 * its rule path ("guardrails.output.deny_patterns[3]"), so a match can say which rule decided.
 */
import { compileRe2, type Re2Pattern } from "../models/re2-pattern.js";

/** One compiled pattern with the path of the spec field that holds it. */
export interface RulePattern {
  readonly rule: string;
  readonly pattern: Re2Pattern;
  /** The pattern as written in the spec. */
  readonly source: string;
}

/** Compiles `patterns` found at spec path `base`; throws PatternError for one that is not RE2 (the control plane refuses such specs on write). */
export function compileRules(base: string, patterns: readonly string[]): RulePattern[] {
  return patterns.map((source, index) => ({ rule: `${base}[${index}]`, pattern: compileRe2(source), source }));
}

/** The first rule whose pattern matches anywhere in `text`. */
export function firstMatch(rules: readonly RulePattern[], text: string): RulePattern | undefined {
  return rules.find((rule) => rule.pattern.test(text));
}
