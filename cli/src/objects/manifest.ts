/**
 * Object files, as `kubectl apply -f` reads them: YAML or JSON, one document or several
 * separated by `---` (or a JSON array, or a `kind: List` with `items`), each with `kind`,
 * `metadata` and the rest in the API's field names (camelCase or snake_case) with short enum names.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { ObjectMetaSchema } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { registry } from "@raworc/proto";
import { parseAllDocuments } from "yaml";
import { UsageError } from "../errors.js";
import { fieldByKey, normalizeEnums } from "./enums.js";
import { defaultNamespace, type ObjectKind, type StoredObject } from "./kind.js";
import { findKind, objectKinds, serviceAccountKind } from "./kinds/index.js";

/** One object read from a file, ready to send. */
export interface ManifestObject {
  /** Its kind. */
  readonly kind: ObjectKind;
  /** The object, with namespace and defaults filled in. */
  readonly object: StoredObject;
  /** JSON names of the top-level fields the document set (an update changes only these). */
  readonly fields: ReadonlySet<string>;
  /** JSON names of the metadata fields the document set. */
  readonly metadataFields: ReadonlySet<string>;
  /** A service account's password, only when files may carry them. */
  readonly password?: string;
  /** Where it came from, for messages: `roles.yaml: document 2`. */
  readonly origin: string;
}

/** How documents are read. */
export interface ManifestOptions {
  /** The namespace from `-n`: fills documents without one and must match those with one. */
  readonly namespace?: string;
  /** The only kind allowed (a group's `create -f`); documents without `kind` are of this kind. */
  readonly onlyKind?: ObjectKind;
  /** Let ServiceAccount documents carry a `password` (off by default: files get copied around). */
  readonly allowPasswords?: boolean;
}

/** A raw document and where it came from. */
interface RawDocument {
  readonly value: unknown;
  readonly origin: string;
}

/** Parses a file's text into objects; `source` names it in errors. Throws a UsageError naming the document at fault. */
export function parseManifests(text: string, source: string, options: ManifestOptions = {}): ManifestObject[] {
  return splitDocuments(text, source).map((doc) => toManifestObject(doc, options));
}

/** Splits YAML/JSON text into documents, expanding JSON arrays and `kind: List`; empty documents are skipped. */
function splitDocuments(text: string, source: string): RawDocument[] {
  const parsed = parseAllDocuments(text);
  if (!Array.isArray(parsed)) return [];
  const out: RawDocument[] = [];
  parsed.forEach((doc, i) => {
    const origin = parsed.length > 1 ? `${source}: document ${i + 1}` : source;
    const error = doc.errors[0];
    if (error) throw new UsageError(`${origin}: not valid YAML or JSON: ${(error.message.split("\n")[0] ?? "").replace(/:$/, "")}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const items = Array.isArray(value) ? value : isList(value) ? value.items : undefined;
    if (items) items.forEach((item: unknown, j) => out.push({ value: item, origin: `${origin}, item ${j + 1}` }));
    else out.push({ value, origin });
  });
  return out;
}

function isList(value: unknown): value is { items: unknown[] } {
  const v = value as { kind?: unknown; items?: unknown };
  return typeof value === "object" && value !== null && v.kind === "List" && Array.isArray(v.items);
}

function toManifestObject({ value, origin }: RawDocument, options: ManifestOptions): ManifestObject {
  const fail = (message: string) => new UsageError(`${origin}: ${message}`);
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw fail("expected a mapping with kind and metadata");
  const { kind: kindName, apiVersion: _apiVersion, password, ...body } = value as Record<string, unknown>;
  const kind = kindOf(kindName, options.onlyKind, fail);
  if (password !== undefined && kind !== serviceAccountKind) body.password = password;
  if (password !== undefined && kind === serviceAccountKind && !options.allowPasswords) {
    throw fail("passwords are not read from files by default (use --password-stdin, or --allow-password-in-file)");
  }
  if (password !== undefined && typeof password !== "string") throw fail("password must be a string");
  const fields = presentFields(kind, body);
  const metadataJson = (body.metadata ?? {}) as Record<string, unknown>;
  if (typeof metadataJson !== "object" || Array.isArray(metadataJson)) throw fail("metadata must be a mapping");
  const metadataFields = new Set(Object.keys(metadataJson).map((k) => fieldByKey(ObjectMetaSchema, k)?.jsonName ?? k));
  const namespace = namespaceOf(kind, metadataJson, options.namespace, fail);
  const json = { ...kind.defaults, ...body, metadata: namespace === undefined ? metadataJson : { ...metadataJson, namespace } };
  let object: StoredObject;
  try {
    object = fromJson(kind.schema, normalizeEnums(kind.schema, json) as JsonValue, { registry });
  } catch (error) {
    throw fail(`not a valid ${kind.kind}: ${(error as Error).message}`);
  }
  if (!object.metadata?.name) throw fail("metadata.name is required");
  return { kind, object, fields, metadataFields, origin, ...(typeof password === "string" ? { password } : {}) };
}

function kindOf(name: unknown, only: ObjectKind | undefined, fail: (message: string) => UsageError): ObjectKind {
  if (name === undefined && only) return only;
  if (typeof name !== "string" || !name) throw fail(`no kind (one of: ${objectKinds.map((k) => k.kind).join(", ")})`);
  let kind: ObjectKind;
  try {
    kind = findKind(name);
  } catch (error) {
    throw fail((error as Error).message);
  }
  if (only && kind !== only) throw fail(`is a ${kind.kind}, not a ${only.kind} (create objects of several kinds with: raworc create -f FILE)`);
  return kind;
}

/** The JSON names of the top-level fields a document sets; unknown keys are kept for fromJson to refuse. */
function presentFields(kind: ObjectKind, body: Record<string, unknown>): Set<string> {
  return new Set(Object.keys(body).map((k) => fieldByKey(kind.schema, k)?.jsonName ?? k));
}

/** The namespace to give a document that names none (from `-n`, or the default for kinds that need one); undefined leaves it as written. */
function namespaceOf(kind: ObjectKind, metadata: Record<string, unknown>, flag: string | undefined, fail: (message: string) => UsageError): string | undefined {
  if (kind.namespaced === "never") return undefined;
  const own = metadata.namespace;
  if (typeof own === "string" && own !== "") {
    if (flag !== undefined && flag !== own) throw fail(`its namespace "${own}" does not match -n ${flag}`);
    return undefined;
  }
  if (flag !== undefined) return flag;
  return kind.namespaced === "required" ? defaultNamespace : undefined;
}
