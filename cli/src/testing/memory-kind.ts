/** An in-memory stand-in for a kind's RPCs, so create/apply/edit logic is tested without a server. */
import { clone, create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ObjectMetaSchema } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import type { Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { refOf, type ObjectKind, type ObjectRefText, type StoredObject } from "../objects/kind.js";

/** A kind backed by a Map, plus the calls it received. */
export type MemoryKind = ObjectKind & { readonly store: Map<string, StoredObject>; readonly calls: string[] };

const later = <T>(fn: () => T): Promise<T> => Promise.resolve().then(fn);

/**
 * Wraps a real kind (its names, schema and table) with storage in a Map: writes bump
 * resource_version, a stale one fails with ABORTED, and a secret's values are kept write-only
 * (responses carry key names, as the server's do).
 */
export function memoryKind(kind: ObjectKind): MemoryKind {
  const store = new Map<string, StoredObject>();
  const calls: string[] = [];
  const key = (ref: ObjectRefText) => `${ref.namespace}/${ref.name}`;
  const isSecret = kind.kind === "Secret";
  const copy = (object: StoredObject) => clone(kind.schema, object) as StoredObject;
  const save = (object: StoredObject, version: number, keys?: string[]) => {
    const row = copy(object);
    row.metadata ??= create(ObjectMetaSchema);
    row.metadata.resourceVersion = String(version);
    row.metadata.createdAt ??= timestampFromDate(new Date(0));
    if (isSecret) {
      const secret = row as Secret;
      secret.keys = keys ?? Object.keys(secret.data).sort();
      secret.data = {};
    }
    store.set(key(refOf(row)), row);
    return copy(row);
  };
  const find = (ref: ObjectRefText) => {
    const found = store.get(key(ref));
    if (!found) throw new ConnectError(`${kind.singular} ${key(ref)} not found`, Code.NotFound);
    return found;
  };
  return {
    ...kind,
    store,
    calls,
    create: (_conn, object) =>
      later(() => {
        calls.push("create");
        if (store.has(key(refOf(object)))) throw new ConnectError("already exists", Code.AlreadyExists);
        return save(object, 1);
      }),
    get: (_conn, ref) =>
      later(() => {
        calls.push("get");
        return copy(find(ref));
      }),
    list: () => later(() => ({ items: [...store.values()].map(copy), nextPageToken: "" })),
    update: (_conn, object, { removeKeys }) =>
      later(() => {
        calls.push("update");
        const current = find(refOf(object));
        const version = Number(current.metadata?.resourceVersion);
        if (object.metadata?.resourceVersion && object.metadata.resourceVersion !== String(version)) throw new ConnectError("stale resource_version", Code.Aborted);
        const keys = isSecret
          ? [...new Set([...(current as Secret).keys, ...Object.keys((object as Secret).data)])].filter((k) => !removeKeys?.includes(k)).sort()
          : undefined;
        return save(object, version + 1, keys);
      }),
    delete: (_conn, ref) =>
      later(() => {
        calls.push("delete");
        find(ref);
        store.delete(key(ref));
        return undefined;
      }),
  };
}
