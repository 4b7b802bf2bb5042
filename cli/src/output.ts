/** Output formats shared by every command: aligned tables for people, JSON and YAML for tools. */
import { stringify } from "yaml";
import { UsageError } from "./errors.js";

/** The formats `-o` accepts. */
export const outputFormats = ["table", "json", "yaml"] as const;

/** One of {@link outputFormats}. */
export type OutputFormat = (typeof outputFormats)[number];

/** A table: column headings and rows of cell values in the same order. */
export interface Table {
  /** Column headings, shown upper-cased. */
  readonly columns: readonly string[];
  /** One array of cells per row. */
  readonly rows: readonly (readonly unknown[])[];
}

/** Checks an `-o` value, defaulting to `fallback` when absent. */
export function parseOutputFormat(value: string | undefined, fallback: OutputFormat): OutputFormat {
  if (value === undefined) return fallback;
  if ((outputFormats as readonly string[]).includes(value)) return value as OutputFormat;
  throw new UsageError(`unknown output format "${value}" (use one of: ${outputFormats.join(", ")})`);
}

/** Renders a table with columns padded to their widest cell, two spaces apart, like kubectl. */
export function formatTable(table: Table): string {
  const lines = [table.columns.map((c) => c.toUpperCase()), ...table.rows.map((row) => table.columns.map((_, i) => cell(row[i])))];
  const widths = table.columns.map((_, i) => Math.max(...lines.map((line) => line[i]?.length ?? 0)));
  return lines.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join("  ").trimEnd()).join("\n") + "\n";
}

/** Pretty JSON with a trailing newline. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** YAML with a trailing newline. */
export function formatYaml(value: unknown): string {
  return stringify(value);
}

/** Renders a value in the chosen format; `table` builds the table form from the value when needed. */
export function formatOutput<T>(value: T, format: OutputFormat, table: (value: T) => Table): string {
  switch (format) {
    case "json":
      return formatJson(value);
    case "yaml":
      return formatYaml(value);
    case "table":
      return formatTable(table(value));
  }
}

/**
 * A generic table for any JSON message: the rows of its one list field when it has exactly one
 * (nested fields flattened as `a.b`), else one FIELD/VALUE row per top-level field.
 */
export function tableOf(json: unknown): Table {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return { columns: ["value"], rows: [[json]] };
  const entries = Object.entries(json as Record<string, unknown>);
  const lists = entries.filter(([, v]) => Array.isArray(v) && v.every((e) => e !== null && typeof e === "object" && !Array.isArray(e)));
  if (lists.length === 1) {
    const items = (lists[0]?.[1] as Record<string, unknown>[]).map((item) => flatten(item));
    const columns = [...new Set(items.flatMap((item) => Object.keys(item)))];
    return { columns, rows: items.map((item) => columns.map((c) => item[c])) };
  }
  return { columns: ["field", "value"], rows: entries.map(([k, v]) => [k, v]) };
}

function flatten(value: Record<string, unknown>, prefix = "", out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, v] of Object.entries(value)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${key}.`, out);
    else out[`${prefix}${key}`] = v;
  }
  return out;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(",");
  const text = typeof value === "string" ? value : JSON.stringify(value);
  // Cells are one line each, whatever the value holds.
  return text.replace(/\s*\n\s*/g, " ");
}
