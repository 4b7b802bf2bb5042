/**
 * Translates protovalidate field rules into the JSON Schema keywords OpenAPI 3.1 can state;
 * what it cannot (byte lengths, CEL expressions, duration bounds) is spelled out in the text.
 */
import { getExtension, hasExtension, toJson, type DescField, type DescMessage, type DescOneof, type JsonObject } from "@bufbuild/protobuf";
import { field as fieldRules, FieldRulesSchema, message as messageRules, MessageRulesSchema, oneof as oneofRules } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";

/** A JSON Schema object under construction. */
export type Schema = Record<string, unknown>;

/** What a field's rules add to its schema: keywords, whether the field is required, and notes for the description. */
export interface FieldConstraints {
  /** Keywords for the field's own schema (for repeated and map fields, the container). */
  readonly keywords: Schema;
  /** Keywords for each item of a repeated field, or each value of a map field. */
  readonly items: Schema;
  /** Keywords for each key of a map field. */
  readonly keys: Schema;
  /** The field must be present (message fields) or non-empty (the rest). */
  readonly required: boolean;
  /** Rules stated in words because JSON Schema has no keyword for them. */
  readonly notes: string[];
}

/** The field's rules as proto3 JSON (only what is set), or undefined when it has none. */
export function fieldRulesJson(field: DescField): JsonObject | undefined {
  const options = field.proto.options;
  if (!options || !hasExtension(options, fieldRules)) return undefined;
  return toJson(FieldRulesSchema, getExtension(options, fieldRules)) as JsonObject;
}

const num = (v: unknown): number => Number(v);

/** Keywords for one kind of scalar rule (string, numbers, enum, bytes); unknown kinds become notes. */
function scalarKeywords(kind: string, rules: JsonObject, notes: string[]): Schema {
  const out: Schema = {};
  // Enum rules (defined_only, in, not_in) shape the list of names; see allowedEnumNames.
  if (kind === "enum") return out;
  for (const [key, value] of Object.entries(rules)) {
    switch (key) {
      case "minLen": out.minLength = num(value); break;
      case "maxLen": out.maxLength = num(value); break;
      case "len": out.minLength = out.maxLength = num(value); break;
      case "pattern": out.pattern = value; break;
      case "const": out.const = numericOut(kind, value); break;
      case "gte": out.minimum = numericOut(kind, value); break;
      case "gt": out.exclusiveMinimum = numericOut(kind, value); break;
      case "lte": out.maximum = numericOut(kind, value); break;
      case "lt": out.exclusiveMaximum = numericOut(kind, value); break;
      case "in": out.enum = (value as unknown[]).map((v) => numericOut(kind, v)); break;
      case "finite": break; // a JSON number is always finite
      case "uuid": if (value) out.format = "uuid"; break;
      case "email": if (value) out.format = "email"; break;
      case "uri": if (value) out.format = "uri"; break;
      case "hostname": if (value) out.format = "hostname"; break;
      case "maxBytes": notes.push(`At most ${JSON.stringify(value)} bytes of UTF-8.`.replace(/"/g, "")); break;
      case "minBytes": notes.push(`At least ${JSON.stringify(value)} bytes of UTF-8.`.replace(/"/g, "")); break;
      default: notes.push(`Rule ${kind}.${key}: ${JSON.stringify(value)}.`);
    }
  }
  return out;
}

const numericKind = (kind: string) => /^(u?int|s?fixed|sint)(32|64)$|^(float|double)$/.test(kind);
const is64 = (kind: string) => kind.endsWith("64") && kind !== "double";

/** 64-bit integers travel as strings in proto3 JSON, so their bounds can only be stated, not enforced by a schema keyword. */
function numericOut(kind: string, value: unknown): unknown {
  return numericKind(kind) ? num(value) : value;
}

/** Duration bounds in words (a Duration is a string like "1.5s"). */
function durationNotes(rules: JsonObject): string[] {
  const words: Record<string, string> = { gte: "at least", gt: "more than", lte: "at most", lt: "less than", const: "exactly" };
  return Object.entries(rules).map(([k, v]) => `Duration ${words[k] ?? k} ${typeof v === "string" ? v : JSON.stringify(v)}.`);
}

/** Enum names allowed by `in`/`not_in` rules, or undefined when every name is. */
export function allowedEnumNames(names: readonly string[], numbers: readonly number[], rules: JsonObject | undefined): string[] | undefined {
  if (!rules) return undefined;
  const allowIn = rules.in as number[] | undefined;
  const notIn = (rules.notIn as number[] | undefined) ?? [];
  if (!allowIn && notIn.length === 0) return undefined;
  return names.filter((_, i) => (!allowIn || allowIn.includes(numbers[i]!)) && !notIn.includes(numbers[i]!));
}

/** The kind of a field's scalar rules ("string", "uint32", "enum", ...) and the rules themselves. */
function splitKind(rules: JsonObject): [string, JsonObject] | undefined {
  for (const [key, value] of Object.entries(rules)) {
    if (key === "required" || key === "cel" || key === "ignore" || key === "repeated" || key === "map") continue;
    if (value && typeof value === "object" && !Array.isArray(value)) return [key, value];
  }
  return undefined;
}

/** Translates one field's rules. */
export function fieldConstraints(field: DescField): FieldConstraints {
  const rules = fieldRulesJson(field);
  const result: FieldConstraints = { keywords: {}, items: {}, keys: {}, required: rules?.required === true, notes: [] };
  if (!rules) return result;
  result.notes.push(...celNotes(rules));
  const apply = (target: Schema, value: JsonObject) => {
    const split = splitKind(value);
    if (!split) return;
    const [kind, body] = split;
    if (kind === "duration") result.notes.push(...durationNotes(body));
    else if (is64(kind)) result.notes.push(...Object.entries(body).map(([k, v]) => `Rule ${kind}.${k}: ${JSON.stringify(v)}.`));
    else Object.assign(target, scalarKeywords(kind, body, result.notes));
  };
  const repeated = rules.repeated as JsonObject | undefined;
  const map = rules.map as JsonObject | undefined;
  if (repeated) {
    if (repeated.minItems !== undefined) result.keywords.minItems = num(repeated.minItems);
    if (repeated.maxItems !== undefined) result.keywords.maxItems = num(repeated.maxItems);
    if (repeated.unique === true) result.keywords.uniqueItems = true;
    if (repeated.items) apply(result.items, repeated.items as JsonObject);
  } else if (map) {
    if (map.minPairs !== undefined) result.keywords.minProperties = num(map.minPairs);
    if (map.maxPairs !== undefined) result.keywords.maxProperties = num(map.maxPairs);
    if (map.keys) apply(result.keys, map.keys as JsonObject);
    if (map.values) apply(result.items, map.values as JsonObject);
  } else {
    apply(result.keywords, rules);
    if (rules.ignore === "IGNORE_IF_ZERO_VALUE") allowZeroValue(result.keywords);
  }
  return result;
}

/** CEL rules in words: their id and message (or, without a message, the expression). */
function celNotes(rules: JsonObject): string[] {
  const cel = (rules.cel ?? []) as { id?: string; message?: string; expression?: string }[];
  return cel.map((c) => `Rule ${c.id ?? ""}: ${c.message ?? c.expression ?? ""}.`);
}

/** With IGNORE_IF_ZERO_VALUE the rules apply only to non-empty values: let the empty string through too. */
function allowZeroValue(keywords: Schema): void {
  if (Array.isArray(keywords.enum)) keywords.enum = ["", ...(keywords.enum as unknown[])];
  if (typeof keywords.pattern === "string") keywords.pattern = `^$|${keywords.pattern}`;
  delete keywords.minLength;
}

/** Message-level CEL rules, in words. */
export function messageNotes(message: DescMessage): string[] {
  const options = message.proto.options;
  if (!options || !hasExtension(options, messageRules)) return [];
  const rules = toJson(MessageRulesSchema, getExtension(options, messageRules)) as JsonObject;
  return celNotes(rules);
}

/** Whether exactly one member of the oneof must be set. */
export function oneofRequired(oneof: DescOneof): boolean {
  const options = oneof.proto.options;
  return !!options && hasExtension(options, oneofRules) && getExtension(options, oneofRules).required;
}
