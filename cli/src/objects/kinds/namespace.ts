/** The Namespace kind: the scopes namespaced objects live in; they cannot change after creation. */
import { createClient } from "@connectrpc/connect";
import { NamespacePhaseSchema, NamespaceSchema, NamespaceService, type Namespace } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { enumShortName } from "../enums.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(NamespaceService, conn.transport);

/** Namespaces: `raworc namespaces` (alias `ns`). */
export const namespaceKind = defineKind<Namespace>({
  kind: "Namespace",
  singular: "namespace",
  plural: "namespaces",
  aliases: ["ns", "namespace"],
  namespaced: "never",
  schema: NamespaceSchema,
  columns: ["status"],
  cells: (ns) => [ns.status ? enumShortName(NamespacePhaseSchema, ns.status.phase) : ""],
  async create(conn, namespace) {
    return returned((await client(conn).createNamespace({ namespace }, { signal: conn.signal })).namespace, "namespace");
  },
  async get(conn, ref) {
    return returned((await client(conn).getNamespace({ name: ref.name }, { signal: conn.signal })).namespace, "namespace");
  },
  async list(conn, query) {
    const res = await client(conn).listNamespaces(
      { labelSelector: query.labelSelector, pageSize: query.pageSize, pageToken: query.pageToken },
      { signal: conn.signal },
    );
    return { items: res.namespaces, nextPageToken: res.nextPageToken };
  },
  async delete(conn, ref, { force }) {
    return (await client(conn).deleteNamespace({ name: ref.name, force: force ?? false }, { signal: conn.signal })).namespace;
  },
});
