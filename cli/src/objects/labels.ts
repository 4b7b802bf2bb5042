/** `--label` flags: `key=value` sets a label, `key-` removes one (on update), as `kubectl label` does. */
import { UsageError } from "../errors.js";

/** Label changes: what to set and what to remove. */
export interface LabelEdits {
  readonly set: Record<string, string>;
  readonly remove: readonly string[];
}

/** Parses `--label` values; removals are refused unless `allowRemove` (a create has nothing to remove). */
export function parseLabelFlags(values: readonly string[], allowRemove = false, flag = "--label"): LabelEdits {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const value of values) {
    const eq = value.indexOf("=");
    if (eq > 0) set[value.slice(0, eq)] = value.slice(eq + 1);
    else if (allowRemove && value.endsWith("-") && value.length > 1) remove.push(value.slice(0, -1));
    else throw new UsageError(`${flag} "${value}": use key=value${allowRemove ? " to set, or key- to remove" : ""}`);
  }
  return { set, remove };
}

/** Applies label edits to a label map, returning a new one. */
export function applyLabelEdits(labels: Readonly<Record<string, string>>, edits: LabelEdits): Record<string, string> {
  const out = { ...labels, ...edits.set };
  for (const key of edits.remove) delete out[key];
  return out;
}

/** commander's collector for repeatable flags: each use adds its comma-separated values. */
export function collectList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((v) => v.trim()).filter(Boolean)];
}

/** commander's collector for repeatable flags whose values may contain commas (labels, literals). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
