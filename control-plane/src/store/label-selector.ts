/**
 * Kubernetes label selectors ("app=web,tier!=db,env in (a,b),!legacy,owner") parsed into
 * requirements and rendered as SQL over a jsonb `labels` column.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** One requirement of a selector. */
export type LabelRequirement =
  | { readonly key: string; readonly op: "in" | "notin"; readonly values: readonly string[] }
  | { readonly key: string; readonly op: "exists" | "!exists" };

const keyPattern = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const valuePattern = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function invalid(reason: string): ConnectError {
  return new ConnectError(`invalid label_selector: ${reason}`, Code.InvalidArgument);
}

function checkKey(key: string): string {
  if (key.length > 316 || !keyPattern.test(key)) throw invalid(`bad key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (value.length > 63 || !valuePattern.test(value)) throw invalid(`bad value "${value}"`);
  return value;
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of selector) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (depth < 0) throw invalid("unbalanced parentheses");
    if (ch === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += ch;
  }
  if (depth !== 0) throw invalid("unbalanced parentheses");
  parts.push(current);
  return parts.map((p) => p.trim());
}

/** Parses a selector; an empty string selects everything. Throws INVALID_ARGUMENT on bad syntax. */
export function parseLabelSelector(selector: string): LabelRequirement[] {
  if (selector.trim() === "") return [];
  return splitTopLevel(selector).map((part): LabelRequirement => {
    if (part === "") throw invalid("empty requirement");
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(",").map((v) => checkValue(v.trim()));
      return { key: checkKey(set[1]!), op: set[2] as "in" | "notin", values };
    }
    const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (cmp) {
      const op = cmp[2] === "!=" ? "notin" : "in";
      return { key: checkKey(cmp[1]!), op, values: [checkValue(cmp[3]!)] };
    }
    if (part.startsWith("!")) return { key: checkKey(part.slice(1).trim()), op: "!exists" };
    return { key: checkKey(part), op: "exists" };
  });
}

/** Renders requirements as one SQL condition with positional `?` parameters. */
export function labelSelectorSql(
  requirements: readonly LabelRequirement[],
  column = "labels",
): { sql: string; params: string[] } | undefined {
  if (requirements.length === 0) return undefined;
  const clauses: string[] = [];
  const params: string[] = [];
  for (const r of requirements) {
    // jsonb_exists instead of the `?` operator, which would collide with parameter markers.
    if (!("values" in r)) {
      clauses.push(`${r.op === "exists" ? "" : "not "}jsonb_exists(${column}, ?)`);
      params.push(r.key);
    } else {
      const marks = r.values.map(() => "?").join(", ");
      // As in Kubernetes, `notin` and `!=` also match objects that lack the key.
      clauses.push(
        r.op === "in"
          ? `(${column} ->> ?) in (${marks})`
          : `((${column} ->> ?) is null or (${column} ->> ?) not in (${marks}))`,
      );
      params.push(r.key);
      if (r.op === "notin") params.push(r.key);
      params.push(...r.values);
    }
  }
  return { sql: clauses.join(" and "), params };
}

/** Whether a label map satisfies every requirement (the same rules as {@link labelSelectorSql}). */
export function labelsMatch(requirements: readonly LabelRequirement[], labels: Readonly<Record<string, string>>): boolean {
  return requirements.every((r) => {
    const value = Object.hasOwn(labels, r.key) ? labels[r.key] : undefined;
    if (!("values" in r)) return r.op === "exists" ? value !== undefined : value === undefined;
    if (r.op === "in") return value !== undefined && r.values.includes(value);
    return value === undefined || !r.values.includes(value);
  });
}
