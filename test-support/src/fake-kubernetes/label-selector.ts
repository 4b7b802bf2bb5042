/** Kubernetes label selectors: `a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`, comma-joined. */
import { badRequest } from "./status.js";

type Requirement = (labels: Record<string, string>) => boolean;

/** A parsed selector: true for labels it selects. */
export type LabelSelector = (labels: Record<string, string> | undefined) => boolean;

/** Parses a selector string as the API server does; an empty selector selects everything. */
export function parseLabelSelector(selector: string | null | undefined): LabelSelector {
  const requirements: Requirement[] = [];
  for (const term of splitTerms(selector ?? "")) {
    let match: RegExpExecArray | null;
    if ((match = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term))) {
      const [, key = "", op, list = ""] = match;
      const values = new Set(list.split(",").map((value) => value.trim()));
      requirements.push(op === "in" ? (labels) => values.has(labels[key] ?? "\0") : (labels) => !values.has(labels[key] ?? "\0"));
    } else if ((match = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term))) {
      const [, key = "", op, value = ""] = match;
      requirements.push(op === "!=" ? (labels) => labels[key] !== value : (labels) => labels[key] === value);
    } else if ((match = /^!\s*([^\s!=]+)$/.exec(term))) {
      const key = match[1] ?? "";
      requirements.push((labels) => !(key in labels));
    } else if (/^[^\s!=(),]+$/.test(term)) {
      requirements.push((labels) => term in labels);
    } else {
      throw badRequest(`unable to parse requirement: found '${term}', expected: label selector`);
    }
  }
  return (labels) => requirements.every((requirement) => requirement(labels ?? {}));
}

/** Splits on commas outside parentheses. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      terms.push(current.trim());
      current = "";
    } else current += char;
  }
  if (current.trim()) terms.push(current.trim());
  return terms.filter(Boolean);
}
