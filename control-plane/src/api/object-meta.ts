/** Conversions between stored rows and the API's ObjectMeta, and checks shared by handlers. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ObjectMetaSchema, type ObjectMeta } from "@raworc/proto/gen/raworc/v1/common_pb.js";

/** The columns every stored object has. */
export interface StoredObject {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

/** Builds the API metadata of a stored object. */
export function toObjectMeta(row: StoredObject): ObjectMeta {
  return create(ObjectMetaSchema, {
    name: row.name,
    namespace: row.namespace,
    uid: row.id,
    labels: row.labels,
    annotations: row.annotations,
    createdAt: timestampFromDate(row.createdAt),
    updatedAt: timestampFromDate(row.updatedAt),
    resourceVersion: String(row.version),
  });
}

/** The metadata of a create or update request, which must name its object. */
export function requireNamed(meta: ObjectMeta | undefined, field: string): ObjectMeta & { name: string } {
  if (!meta || meta.name === "") {
    throw new ConnectError(`${field}.name is required`, Code.InvalidArgument);
  }
  return meta;
}

/** Parses metadata.resource_version: undefined when empty, INVALID_ARGUMENT when malformed. */
export function parseResourceVersion(value: string): number | undefined {
  if (value === "") return undefined;
  if (!/^[1-9][0-9]{0,9}$/.test(value)) {
    throw new ConnectError("metadata.resource_version is not a version this server issued", Code.InvalidArgument);
  }
  return Number(value);
}
