/** Objects as output: JSON/YAML a file can be made of again (with `kind`), or a kubectl-style table. */
import { toJson } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { registry } from "@raworc/proto";
import { formatAge } from "../durations.js";
import { formatOutput, type OutputFormat, type Table } from "../output.js";
import type { ObjectKind, StoredObject } from "./kind.js";

/** How the NAMESPACE column shows a global object. */
export const globalMarker = "(global)";

/** One object as JSON: `kind` first, then the API's JSON (full enum names), so `apply -f` takes it back. */
export function objectJson(kind: ObjectKind, object: StoredObject): Record<string, unknown> {
  const json = toJson(kind.schema, object, { registry }) as Record<string, unknown>;
  // Zero values are left out of proto JSON; writing the kind's defaulted fields out keeps a saved file meaning the same.
  const defaults = Object.fromEntries(Object.keys(kind.defaults ?? {}).map((k) => [k, (object as unknown as Record<string, unknown>)[k]]));
  return { kind: kind.kind, ...json, ...defaults };
}

/** Several objects as JSON: a `kind: List` with `items`, as kubectl prints lists. */
export function listJson(kind: ObjectKind, objects: readonly StoredObject[]): { kind: "List"; items: Record<string, unknown>[] } {
  return { kind: "List", items: objects.map((o) => objectJson(kind, o)) };
}

/** The table of objects: NAME, NAMESPACE (unless the kind has none), the kind's own columns, AGE. */
export function objectsTable(kind: ObjectKind, objects: readonly StoredObject[], now: Date = new Date()): Table {
  const scoped = kind.namespaced !== "never";
  return {
    columns: ["name", ...(scoped ? ["namespace"] : []), ...kind.columns, "age"],
    rows: objects.map((o) => {
      const created = o.metadata?.createdAt ? timestampDate(o.metadata.createdAt) : undefined;
      return [o.metadata?.name, ...(scoped ? [o.metadata?.namespace || globalMarker] : []), ...kind.cells(o), formatAge(created, now)];
    }),
  };
}

/** Renders one object (`single`) or a list in the chosen format. */
export function renderObjects(kind: ObjectKind, objects: readonly StoredObject[], format: OutputFormat, single: boolean): string {
  if (format === "table") return formatOutput(objects, format, (o) => objectsTable(kind, o));
  const first = objects[0];
  const value = single && objects.length === 1 && first ? objectJson(kind, first) : listJson(kind, objects);
  return formatOutput(value, format, () => objectsTable(kind, objects));
}
