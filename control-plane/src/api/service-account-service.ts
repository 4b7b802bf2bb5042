/** ServiceAccountService: CRUD of service accounts; passwords are write-only. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type {
  ServiceAccountService} from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import {
  ServiceAccountSchema,
  type ServiceAccount,
} from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { hashPassword } from "../auth/passwords.js";
import { kListScope } from "../context.js";
import type { ServiceAccountRow } from "../store/entities/service-account.js";
import type { ServiceAccountStore } from "../store/service-accounts.js";
import { parseResourceVersion, requireNamed, toObjectMeta } from "./object-meta.js";

/** The API form of a stored account. */
export function toServiceAccount(row: ServiceAccountRow): ServiceAccount {
  return create(ServiceAccountSchema, {
    metadata: toObjectMeta(row),
    description: row.description,
    active: row.active,
    lastLoginAt: row.lastLoginAt ? timestampFromDate(row.lastLoginAt) : undefined,
  });
}

function refOf(ref: ObjectRef | undefined): { namespace: string; name: string } {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

function fieldsOf(sa: ServiceAccount) {
  return {
    description: sa.description,
    active: sa.active,
    labels: { ...sa.metadata?.labels },
    annotations: { ...sa.metadata?.annotations },
  };
}

/** Creates the ServiceAccountService implementation. */
export function createServiceAccountService(accounts: ServiceAccountStore): ServiceImpl<typeof ServiceAccountService> {
  return {
    async createServiceAccount(req) {
      const sa = req.serviceAccount!;
      const meta = requireNamed(sa.metadata, "service_account.metadata");
      const row = await accounts.create(meta, fieldsOf(sa), await hashPassword(req.password));
      return { serviceAccount: toServiceAccount(row) };
    },
    async getServiceAccount(req) {
      const ref = refOf(req.ref);
      return { serviceAccount: toServiceAccount(await accounts.get(ref.namespace, ref.name)) };
    },
    async listServiceAccounts(req, ctx) {
      const scope = ctx.values.get(kListScope);
      const page = await accounts.list({
        namespace: req.namespace || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { serviceAccounts: page.items.map(toServiceAccount), nextPageToken: page.nextPageToken };
    },
    async updateServiceAccount(req) {
      const sa = req.serviceAccount!;
      const meta = requireNamed(sa.metadata, "service_account.metadata");
      const row = await accounts.update(meta, parseResourceVersion(meta.resourceVersion), fieldsOf(sa));
      return { serviceAccount: toServiceAccount(row) };
    },
    async deleteServiceAccount(req) {
      await accounts.delete(refOf(req.ref));
      return {};
    },
    async setServiceAccountPassword(req) {
      const ref = refOf(req.ref);
      const row = await accounts.get(ref.namespace, ref.name);
      await accounts.setPassword(row.id, await hashPassword(req.password));
      return {};
    },
  };
}
