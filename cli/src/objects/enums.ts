/**
 * Enum names as people type them: the API's JSON spells enum values in full
 * (`SUBJECT_KIND_SERVICE_ACCOUNT`), while flags and files may use the short forms
 * (`ServiceAccount`, `serviceaccount`, `service-account`, `SERVICE_ACCOUNT`).
 */
import type { DescEnum, DescEnumValue, DescField, DescMessage } from "@bufbuild/protobuf";
import { UsageError } from "../errors.js";

/** Lower-cases and drops separators, so every spelling of a value compares equal. */
function squash(text: string): string {
  return text.replace(/[-_\s]/g, "").toLowerCase();
}

/** The value's name without the enum's shared prefix, e.g. `SERVICE_ACCOUNT`. */
function unprefixed(value: DescEnumValue): string {
  const prefix = value.parent.sharedPrefix ?? "";
  return prefix && value.name.toLowerCase().startsWith(prefix.toLowerCase()) ? value.name.slice(prefix.length) : value.name;
}

/** The short, PascalCase spelling of a value, e.g. `ServiceAccount` for `SUBJECT_KIND_SERVICE_ACCOUNT`. */
export function enumShortName(desc: DescEnum, number: number): string {
  const value = desc.value[number];
  if (!value) return String(number);
  return unprefixed(value)
    .toLowerCase()
    .split("_")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join("");
}

/** The values a user may choose (every one except the zero "unspecified" value), in short form. */
export function enumChoices(desc: DescEnum): string[] {
  return desc.values.filter((v) => v.number !== 0).map((v) => enumShortName(desc, v.number));
}

/** Parses any spelling of an enum value (full, unprefixed, PascalCase, any case, `-` or `_`) to its number. */
export function parseEnum(desc: DescEnum, text: string, what: string = desc.name): number {
  const wanted = squash(text);
  const hit = desc.values.find((v) => v.number !== 0 && (squash(v.name) === wanted || squash(unprefixed(v)) === wanted));
  if (!hit) throw new UsageError(`unknown ${what} "${text}" (use one of: ${enumChoices(desc).join(", ")})`);
  return hit.number;
}

/** The field of `desc` a JSON key names, by its JSON (camelCase) or proto (snake_case) name. */
export function fieldByKey(desc: DescMessage, key: string): DescField | undefined {
  return desc.fields.find((f) => f.jsonName === key || f.name === key);
}

/**
 * Returns a copy of `json` in which every enum value written as a string, at any depth of the
 * message `desc`, is replaced by its full name, so `fromJson` accepts short forms. Unknown keys
 * and non-string values are left for `fromJson` to judge.
 */
export function normalizeEnums(desc: DescMessage, json: unknown, path = ""): unknown {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return json;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = fieldByKey(desc, key);
    out[key] = field ? normalizeField(field, value, path ? `${path}.${key}` : key) : value;
  }
  return out;
}

function normalizeField(field: DescField, value: unknown, path: string): unknown {
  switch (field.fieldKind) {
    case "enum":
      return enumValue(field.enum, value, path);
    case "message":
      return normalizeEnums(field.message, value, path);
    case "list":
      if (!Array.isArray(value)) return value;
      if (field.listKind === "enum") return value.map((v, i) => enumValue(field.enum, v, `${path}[${i}]`));
      if (field.listKind === "message") return value.map((v, i) => normalizeEnums(field.message, v, `${path}[${i}]`));
      return value;
    case "map":
      if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
      if (field.mapKind === "enum") return mapValues(value, (v, k) => enumValue(field.enum, v, `${path}.${k}`));
      if (field.mapKind === "message") return mapValues(value, (v, k) => normalizeEnums(field.message, v, `${path}.${k}`));
      return value;
    default:
      return value;
  }
}

function enumValue(desc: DescEnum, value: unknown, path: string): unknown {
  if (typeof value !== "string") return value;
  const number = parseEnum(desc, value, `${path} value`);
  return desc.value[number]?.name ?? value;
}

function mapValues(value: object, fn: (v: unknown, k: string) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v, k)]));
}
