/**
 * INVALID_ARGUMENT errors for checks a handler makes beyond protovalidate, in protovalidate's
 * form: a message naming the first field at fault, and a `buf.validate.Violations` detail with
 * every field path, so clients (the CLI) show them the same way.
 */
import { create, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  FieldPathElementSchema,
  ViolationSchema,
  ViolationsSchema,
  type FieldPathElement,
  type Violation,
} from "@raworc/proto/gen/buf/validate/validate_pb.js";

/** A step of a field path: a field's local (camelCase) name, or an index into the list before it. */
export type PathStep = string | number;

/** One broken rule: where, which rule, and what is wrong. */
export interface FieldViolation {
  /** Steps from the request message to the field, e.g. `["agent", "spec", "routingPatterns", 0]`. */
  readonly path: readonly PathStep[];
  /** A stable identifier of the rule, e.g. `agent.pattern_re2`. */
  readonly ruleId: string;
  /** What is wrong, for people. */
  readonly message: string;
}

/** The FieldPath elements of `path` inside `root`, resolved through the descriptors. */
function pathElements(root: DescMessage, path: readonly PathStep[]): FieldPathElement[] {
  const elements: FieldPathElement[] = [];
  let schema: DescMessage | undefined = root;
  for (const step of path) {
    if (typeof step === "number") {
      const last = elements.at(-1);
      if (last) last.subscript = { case: "index", value: BigInt(step) };
      continue;
    }
    const field: DescField | undefined = schema?.field[step];
    if (!field) throw new Error(`no field "${step}" in ${schema?.typeName ?? "a scalar"}`);
    elements.push(create(FieldPathElementSchema, { fieldNumber: field.number, fieldName: field.name, fieldType: field.proto.type }));
    schema = field.fieldKind === "message" ? field.message : field.fieldKind === "list" && field.listKind === "message" ? field.message : undefined;
  }
  return elements;
}

/** `agent.spec.routing_patterns[0]`: a path as protovalidate prints it. */
function pathText(elements: readonly FieldPathElement[]): string {
  return elements.map((e) => (e.subscript.case === "index" ? `${e.fieldName}[${e.subscript.value}]` : e.fieldName)).join(".");
}

/** The INVALID_ARGUMENT error for `violations` of a request of type `root`; undefined when there are none. */
export function fieldViolationsError(root: DescMessage, violations: readonly FieldViolation[]): ConnectError | undefined {
  const first = violations[0];
  if (!first) return undefined;
  const protos: Violation[] = violations.map((v) =>
    create(ViolationSchema, { field: { elements: pathElements(root, v.path) }, ruleId: v.ruleId, message: v.message }),
  );
  const head = `${pathText(protos[0]?.field?.elements ?? [])}: ${first.message} [${first.ruleId}]`;
  const more = violations.length - 1;
  const message = more === 0 ? head : `${head}, and ${more} more violation${more === 1 ? "" : "s"}`;
  return new ConnectError(message, Code.InvalidArgument, undefined, [{ desc: ViolationsSchema, value: { violations: protos } }]);
}
