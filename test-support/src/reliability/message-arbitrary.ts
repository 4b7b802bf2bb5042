/**
 * fast-check arbitraries derived from protobuf message descriptors: every field of every
 * message gets random and boundary values of its type — strings empty, huge, unicode and with
 * lone surrogates; integers at their type's limits; repeated and map fields up to a bound;
 * nested messages to a bounded depth; one case of each oneof; enum values known and unknown.
 */
import { create, ScalarType, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import fc from "fast-check";

/** Bounds of the generated messages. */
export interface MessageBounds {
  /** Deepest nesting of messages (default 3). */
  readonly depth?: number;
  /** Most elements of a repeated or map field (default 5). */
  readonly maxElements?: number;
  /** Length of the "huge" string (default 16 KiB, under the server's read limit). */
  readonly hugeString?: number;
}

const INT32 = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)];
const UINT32 = [0, 1, 2 ** 32 - 1];
const INT64 = [0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n)];
const UINT64 = [0n, 1n, 2n ** 64n - 1n];

/** A string arbitrary mixing random text with the boundaries that break parsers. */
function stringArbitrary(huge: number): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "grapheme", maxLength: 20 }),
    fc.string({ unit: "binary", maxLength: 20 }),
    fc.constantFrom("", " ", "\0", "\uD800", "x\uDC00y", "default", "admin", "../../etc/passwd", "'; drop table sessions; --", "%s%n", "${jndi:x}", "a".repeat(64), "Ω≈ç√∫"),
    fc.constant("é".repeat(huge / 2)),
  );
}

function scalarArbitrary(type: ScalarType, huge: number): fc.Arbitrary<unknown> {
  switch (type) {
    case ScalarType.STRING:
      return stringArbitrary(huge);
    case ScalarType.BYTES:
      return fc.oneof(fc.uint8Array({ maxLength: 32 }), fc.constant(new Uint8Array(0)), fc.constant(new Uint8Array([0xff, 0xfe, 0x00])));
    case ScalarType.BOOL:
      return fc.boolean();
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return fc.oneof(fc.constantFrom(...INT32), fc.integer());
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return fc.oneof(fc.constantFrom(...UINT32), fc.nat());
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return fc.oneof(fc.constantFrom(...INT64), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return fc.oneof(fc.constantFrom(...UINT64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return fc.oneof(fc.double(), fc.constantFrom(0, -0, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN));
  }
}

/** Well-known types whose JSON form has rules of its own get values valid in it (a client could not send others). */
function wellKnownArbitrary(message: DescMessage): fc.Arbitrary<unknown> | undefined {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return fc.oneof(fc.constant(timestampFromMs(0)), fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_000 }).map(timestampFromMs));
    case "google.protobuf.Duration":
      return fc.oneof(fc.constant(durationFromMs(0)), fc.integer({ min: -315_576_000_000_000, max: 315_576_000_000_000 }).map(durationFromMs));
    default:
      return message.typeName.startsWith("google.protobuf.") && !message.typeName.endsWith("Value") ? fc.constant(undefined) : undefined;
  }
}

/** An arbitrary of init objects for `message` (pass to `create`). */
function initArbitrary(message: DescMessage, bounds: Required<MessageBounds>, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const member of message.members) {
    if (member.kind === "oneof") {
      if (depth >= bounds.depth) continue;
      fields[member.localName] = fc.oneof(
        fc.constant(undefined),
        ...member.fields.map((field) => valueArbitrary(field, bounds, depth).map((value) => ({ case: field.localName, value }))),
      );
    } else {
      fields[member.localName] = valueArbitrary(member, bounds, depth);
    }
  }
  return fc.record(fields, { requiredKeys: [] });
}

function singularArbitrary(field: DescField, bounds: Required<MessageBounds>, depth: number): fc.Arbitrary<unknown> {
  if (field.fieldKind === "enum" || (field.fieldKind === "list" && field.listKind === "enum") || (field.fieldKind === "map" && field.mapKind === "enum")) {
    const values = field.enum.values.map((v) => v.number);
    return fc.oneof(fc.constantFrom(...values), fc.constantFrom(-1, 999, 2 ** 31 - 1));
  }
  const message = field.message;
  if (message !== undefined) {
    const known = wellKnownArbitrary(message);
    if (known) return known;
    if (depth >= bounds.depth) return fc.constant(undefined);
    return initArbitrary(message, bounds, depth + 1).map((init) => create(message, init));
  }
  return scalarArbitrary(field.scalar ?? ScalarType.STRING, bounds.hugeString);
}

function valueArbitrary(field: DescField, bounds: Required<MessageBounds>, depth: number): fc.Arbitrary<unknown> {
  const one = singularArbitrary(field, bounds, depth);
  switch (field.fieldKind) {
    case "list":
      return fc.array(one, { maxLength: bounds.maxElements }).map((items) => items.filter((i) => i !== undefined));
    case "map":
      return fc
        .array(fc.tuple(field.mapKey === ScalarType.STRING ? stringArbitrary(64) : fc.nat().map(String), one), { maxLength: bounds.maxElements })
        .map((entries) => Object.fromEntries(entries.filter(([, v]) => v !== undefined)));
    default:
      return one;
  }
}

/** Random and boundary messages of type `message`. */
export function messageArbitrary<M extends DescMessage>(message: M, bounds: MessageBounds = {}): fc.Arbitrary<MessageShape<M>> {
  const full: Required<MessageBounds> = { depth: bounds.depth ?? 3, maxElements: bounds.maxElements ?? 5, hugeString: bounds.hugeString ?? 16 * 1024 };
  return initArbitrary(message, full, 0).map((init) => create(message, init as never));
}
