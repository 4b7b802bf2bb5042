/** SecretService: CRUD of secrets; values are write-only and no response ever carries them. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { SecretSchema, type Secret, type SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { kListScope } from "../context.js";
import type { SecretRow } from "../store/entities/secret.js";
import type { SecretFields, SecretStore } from "../store/secrets.js";
import { parseResourceVersion, requireNamed, toObjectMeta } from "./object-meta.js";

/** The API form of a stored secret: metadata, type and key names; `data` stays empty. */
export function toSecret(row: SecretRow): Secret {
  return create(SecretSchema, { metadata: toObjectMeta(row), type: row.type, keys: [...row.keys] });
}

function refOf(ref: ObjectRef | undefined): { namespace: string; name: string } {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

function fieldsOf(secret: Secret): SecretFields {
  return {
    type: secret.type || "Opaque",
    labels: { ...secret.metadata?.labels },
    annotations: { ...secret.metadata?.annotations },
  };
}

/** Creates the SecretService implementation. */
export function createSecretService(secrets: SecretStore): ServiceImpl<typeof SecretService> {
  return {
    async createSecret(req) {
      const secret = req.secret!;
      const meta = requireNamed(secret.metadata, "secret.metadata");
      return { secret: toSecret(await secrets.create(meta, fieldsOf(secret), secret.data)) };
    },
    async getSecret(req) {
      return { secret: toSecret(await secrets.get(refOf(req.ref))) };
    },
    async listSecrets(req, ctx) {
      const scope = ctx.values.get(kListScope);
      const page = await secrets.list({
        namespace: req.namespace || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { secrets: page.items.map(toSecret), nextPageToken: page.nextPageToken };
    },
    async updateSecret(req) {
      const secret = req.secret!;
      const meta = requireNamed(secret.metadata, "secret.metadata");
      const row = await secrets.update(meta, parseResourceVersion(meta.resourceVersion), fieldsOf(secret), {
        set: secret.data,
        remove: req.removeKeys,
      });
      return { secret: toSecret(row) };
    },
    async deleteSecret(req) {
      await secrets.delete(refOf(req.ref));
      return {};
    },
  };
}
