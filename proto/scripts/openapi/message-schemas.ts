/**
 * JSON Schemas of proto3 JSON: messages and enums become components, fields become
 * properties under their JSON names, well-known types take their canonical JSON forms.
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonObject } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";
import { allowedEnumNames, fieldConstraints, fieldRulesJson, messageNotes, oneofRequired, type Schema } from "./validation-constraints.js";

/** The leading comment of an element, with the comment's indentation removed. */
export function commentOf(desc: Parameters<typeof getComments>[0]): string {
  const text = getComments(desc).leading ?? "";
  return text
    .split("\n")
    .map((line) => line.replace(/^ /, "").trimEnd())
    .join("\n")
    .trim();
}

const joinText = (...parts: (string | undefined)[]) => parts.filter((p) => p && p.length > 0).join("\n\n");

/** Schemas of scalar types in proto3 JSON: 64-bit integers are strings, bytes are base64. */
function scalarSchema(type: ScalarType): Schema {
  switch (type) {
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.BYTES:
      return { type: "string", contentEncoding: "base64" };
    case ScalarType.DOUBLE:
      return { type: "number", format: "double" };
    case ScalarType.FLOAT:
      return { type: "number", format: "float" };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "int64", minimum: 0, maximum: 4294967295 };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { type: "string", format: "uint64", pattern: "^[0-9]+$" };
  }
}

const wrappers: Record<string, ScalarType> = {
  "google.protobuf.DoubleValue": ScalarType.DOUBLE,
  "google.protobuf.FloatValue": ScalarType.FLOAT,
  "google.protobuf.Int64Value": ScalarType.INT64,
  "google.protobuf.UInt64Value": ScalarType.UINT64,
  "google.protobuf.Int32Value": ScalarType.INT32,
  "google.protobuf.UInt32Value": ScalarType.UINT32,
  "google.protobuf.BoolValue": ScalarType.BOOL,
  "google.protobuf.StringValue": ScalarType.STRING,
  "google.protobuf.BytesValue": ScalarType.BYTES,
};

/** The canonical JSON form of a well-known type, or undefined for ordinary messages. */
function wellKnownSchema(typeName: string): Schema | undefined {
  const wrapped = wrappers[typeName];
  if (wrapped !== undefined) return scalarSchema(wrapped);
  switch (typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time", examples: ["2026-01-02T15:04:05Z"] };
    case "google.protobuf.Duration":
      return { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["1.5s"] };
    case "google.protobuf.Empty":
      return { type: "object" };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return {};
    case "google.protobuf.ListValue":
      return { type: "array" };
    case "google.protobuf.FieldMask":
      return { type: "string", examples: ["metadata.labels,spec"] };
    case "google.protobuf.Any":
      return { type: "object", properties: { "@type": { type: "string" } }, required: ["@type"], additionalProperties: true };
  }
  return undefined;
}

/** Builds component schemas for the messages and enums a document refers to. */
export class SchemaBuilder {
  /** Component schemas by fully qualified proto name. */
  readonly components: Record<string, Schema> = {};

  /** A reference to the component of a message or enum (inline for well-known types), building it on first use. */
  ref(desc: DescMessage | DescEnum): Schema {
    if (desc.kind === "message") {
      const known = wellKnownSchema(desc.typeName);
      if (known) return known;
    }
    if (!(desc.typeName in this.components)) {
      this.components[desc.typeName] = {}; // placeholder, so recursive messages terminate
      this.components[desc.typeName] = desc.kind === "message" ? this.message(desc) : this.enumSchema(desc);
    }
    return { $ref: `#/components/schemas/${desc.typeName}` };
  }

  private enumSchema(desc: DescEnum): Schema {
    const values = desc.values.map((v) => `- \`${v.name}\`: ${commentOf(v).replace(/\n/g, " ")}`).join("\n");
    return { type: "string", enum: desc.values.map((v) => v.name), description: joinText(commentOf(desc), values) };
  }

  private message(desc: DescMessage): Schema {
    const properties: Record<string, Schema> = {};
    const required: string[] = [];
    for (const field of desc.fields) {
      const { schema, required: isRequired } = this.field(field);
      properties[field.jsonName] = schema;
      if (isRequired) required.push(field.jsonName);
    }
    const schema: Schema = { type: "object", description: joinText(commentOf(desc), ...messageNotes(desc)), properties };
    if (required.length > 0) schema.required = required;
    // proto3 JSON sets at most one member of a oneof: exactly one of "member i is set" or "none is".
    const exclusive = desc.oneofs.map((oneof) => {
      const members = oneof.fields.map((f) => ({ required: [f.jsonName] }));
      return { oneOf: oneofRequired(oneof) ? members : [...members, { not: { anyOf: members } }] };
    });
    if (exclusive.length === 1) Object.assign(schema, exclusive[0]);
    else if (exclusive.length > 1) schema.allOf = exclusive;
    return schema;
  }

  /** A field's schema with its comment, its validation rules, and whether it is required. */
  field(field: DescField): { schema: Schema; required: boolean } {
    const constraints = fieldConstraints(field);
    const rules = fieldRulesJson(field);
    const enumRules = (rules?.enum ?? ((rules?.repeated as JsonObject | undefined)?.items as JsonObject | undefined)?.enum) as JsonObject | undefined;
    const single = (kind: "scalar" | "enum" | "message", extra: Schema): Schema => {
      if (kind === "scalar" && field.scalar !== undefined) return { ...scalarSchema(field.scalar), ...extra };
      if (kind === "enum" && field.enum) {
        const names = allowedEnumNames(
          field.enum.values.map((v) => v.name),
          field.enum.values.map((v) => v.number),
          enumRules,
        );
        return names ? { type: "string", enum: names, ...extra } : { ...this.ref(field.enum), ...extra };
      }
      if (kind === "message" && field.message) return { ...this.ref(field.message), ...extra };
      throw new Error(`${field.parent.typeName}.${field.name}: no type`);
    };
    let schema: Schema;
    switch (field.fieldKind) {
      case "scalar":
        schema = single("scalar", constraints.keywords);
        break;
      case "enum":
        schema = single("enum", {});
        break;
      case "message":
        schema = single("message", {});
        break;
      case "list":
        schema = { type: "array", items: single(field.listKind, constraints.items), ...constraints.keywords };
        break;
      case "map":
        schema = {
          type: "object",
          propertyNames: { ...(field.mapKey === ScalarType.STRING ? {} : { pattern: field.mapKey === ScalarType.BOOL ? "^(true|false)$" : "^-?[0-9]+$" }), ...constraints.keys },
          additionalProperties: single(field.mapKind, constraints.items),
          ...constraints.keywords,
        };
        break;
    }
    const description = joinText(commentOf(field), ...constraints.notes);
    if (description) schema.description = description;
    return { schema, required: constraints.required };
  }
}
