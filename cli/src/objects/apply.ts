/**
 * Creating, applying and deleting objects read from files or flags, one at a time, as
 * `kubectl create|apply|delete -f` do: apply creates what is missing and updates what exists,
 * changing only the fields the document sets, guarded by the stored resource_version.
 */
import { clone, create, equals } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ObjectMetaSchema } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import type { Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { UsageError } from "../errors.js";
import { objectLabel, refOf, type Connection, type CreateExtras, type DeleteOptions, type ObjectKind, type ObjectRefText, type StoredObject, type UpdateExtras } from "./kind.js";
import { secretKind } from "./kinds/index.js";
import type { ManifestObject } from "./manifest.js";

/** What happened to one object. */
export type Outcome = "created" | "configured" | "unchanged" | "deleted" | "terminating";

/** One object's outcome, and the object as the server returned it (when it returned one). */
export interface ObjectOutcome {
  readonly kind: ObjectKind;
  readonly ref: ObjectRefText;
  readonly outcome: Outcome;
  readonly object?: StoredObject;
}

/** The line a person reads for an outcome: `role/dev created in namespace team-a`. */
export function outcomeLine({ kind, ref, outcome }: ObjectOutcome): string {
  return `${objectLabel(kind, ref)} ${outcome}${ref.namespace ? ` in namespace ${ref.namespace}` : ""}`;
}

/** Creates one object; a ServiceAccount takes its password from the document or `extras`. */
export async function createObject(conn: Connection, item: ManifestObject, extras: CreateExtras = {}): Promise<ObjectOutcome> {
  const object = clone(item.kind.schema, item.object) as StoredObject;
  // Output-only metadata (as in a file saved with -o yaml) means nothing to a create.
  const { name, namespace, labels, annotations } = object.metadata ?? create(ObjectMetaSchema);
  object.metadata = create(ObjectMetaSchema, { name, namespace, labels, annotations });
  const password = item.password ?? extras.password;
  const stored = await item.kind.create(conn, object, password === undefined ? {} : { password });
  return { kind: item.kind, ref: refOf(stored), outcome: "created", object: stored };
}

/** Creates the object if it does not exist, else updates the fields the document sets (nothing at all if they already match). */
export async function applyObject(conn: Connection, item: ManifestObject, extras: CreateExtras = {}): Promise<ObjectOutcome> {
  const ref = refOf(item.object);
  let existing: StoredObject;
  try {
    existing = await item.kind.get(conn, ref);
  } catch (error) {
    if (error instanceof ConnectError && error.code === Code.NotFound) return createObject(conn, item, extras);
    throw error;
  }
  const merged = mergeForUpdate(item, existing);
  const secretData = item.kind.kind === secretKind.kind && item.fields.has("data");
  if (!secretData && equals(item.kind.schema, merged, withVersionOf(item.kind, existing, merged))) {
    return { kind: item.kind, ref, outcome: "unchanged", object: existing };
  }
  if (!item.kind.update) {
    throw new UsageError(`${item.origin}: ${objectLabel(item.kind, ref)} exists and ${item.kind.plural} cannot be changed after creation`);
  }
  // Applying a secret's data makes it the whole data: keys the file no longer lists go.
  const removeKeys = secretData ? (existing as Secret).keys.filter((k) => (item.object as Secret).data[k] === undefined) : [];
  const stored = await item.kind.update(conn, merged, { removeKeys });
  return { kind: item.kind, ref, outcome: "configured", object: stored };
}

/** Deletes one object; a namespace answers that it is terminating while its contents go. */
export async function deleteObject(conn: Connection, kind: ObjectKind, ref: ObjectRefText, options: DeleteOptions = {}): Promise<ObjectOutcome> {
  const left = await kind.delete(conn, ref, options);
  return { kind, ref, outcome: left ? "terminating" : "deleted", ...(left ? { object: left } : {}) };
}

/**
 * The stored object with the document's top-level fields, labels and annotations over it, and
 * the document's resource_version if it has one (else the stored one: last writer wins).
 */
export function mergeForUpdate(item: ManifestObject, existing: StoredObject): StoredObject {
  const schema = item.kind.schema;
  const merged = clone(schema, existing) as StoredObject;
  const target = merged as unknown as Record<string, unknown>;
  const source = item.object as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    if (field.localName !== "metadata" && item.fields.has(field.jsonName)) target[field.localName] = source[field.localName];
  }
  const meta = (merged.metadata ??= create(ObjectMetaSchema, refOf(existing)));
  const desired = item.object.metadata;
  if (item.metadataFields.has("labels")) meta.labels = { ...desired?.labels };
  if (item.metadataFields.has("annotations")) meta.annotations = { ...desired?.annotations };
  if (desired?.resourceVersion) meta.resourceVersion = desired.resourceVersion;
  return merged;
}

/** `existing` with `merged`'s resource_version, so a comparison sees only real changes. */
function withVersionOf(kind: ObjectKind, existing: StoredObject, merged: StoredObject): StoredObject {
  const copy = clone(kind.schema, existing) as StoredObject;
  if (copy.metadata && merged.metadata) copy.metadata.resourceVersion = merged.metadata.resourceVersion;
  return copy;
}

/** Fetches an object, lets `edit` change a copy, and updates it guarded by the fetched resource_version ("unchanged" when the edit changed nothing). */
export async function editObject(
  conn: Connection,
  kind: ObjectKind,
  ref: ObjectRefText,
  edit: (object: StoredObject) => void,
  extras: UpdateExtras = {},
): Promise<ObjectOutcome> {
  if (!kind.update) throw new UsageError(`${kind.plural} cannot be changed after creation`);
  const existing = await kind.get(conn, ref);
  const edited = clone(kind.schema, existing) as StoredObject;
  edit(edited);
  if (equals(kind.schema, edited, existing) && !extras.removeKeys?.length) return { kind, ref, outcome: "unchanged", object: existing };
  return { kind, ref, outcome: "configured", object: await kind.update(conn, edited, extras) };
}

/** A ManifestObject for an object built from flags: every field counts as set. */
export function flagObject(kind: ObjectKind, object: StoredObject): ManifestObject {
  const fields = new Set(kind.schema.fields.map((f) => f.jsonName));
  return { kind, object, fields, metadataFields: new Set(["labels", "annotations"]), origin: objectLabel(kind, refOf(object)) };
}
