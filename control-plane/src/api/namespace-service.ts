/** NamespaceService: create, get, list and delete the scopes namespaced objects live in. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  NamespacePhase,
  NamespaceSchema,
  type Namespace,
  type NamespaceService,
} from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import type { NamespaceRow } from "../store/entities/rbac.js";
import type { NamespaceStore } from "../store/namespaces.js";
import { requireNamed, toObjectMeta } from "./object-meta.js";

/** The API form of a stored namespace (a global object: its metadata.namespace is empty). */
export function toNamespace(row: NamespaceRow): Namespace {
  return create(NamespaceSchema, {
    metadata: toObjectMeta({ ...row, namespace: "" }),
    status: { phase: row.phase === "terminating" ? NamespacePhase.TERMINATING : NamespacePhase.ACTIVE },
  });
}

/** Creates the NamespaceService implementation. */
export function createNamespaceService(namespaces: NamespaceStore): ServiceImpl<typeof NamespaceService> {
  return {
    async createNamespace(req) {
      const meta = requireNamed(req.namespace?.metadata, "namespace.metadata");
      const row = await namespaces.create(meta.name, { labels: { ...meta.labels }, annotations: { ...meta.annotations } });
      return { namespace: toNamespace(row) };
    },
    async getNamespace(req) {
      return { namespace: toNamespace(await namespaces.get(req.name)) };
    },
    async listNamespaces(req) {
      const page = await namespaces.list(req);
      return { namespaces: page.items.map(toNamespace), nextPageToken: page.nextPageToken };
    },
    async deleteNamespace(req) {
      return { namespace: toNamespace(await namespaces.delete(req.name, req.force)) };
    },
  };
}
