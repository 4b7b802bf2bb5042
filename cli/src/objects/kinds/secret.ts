/** The Secret kind: namespaced key/value maps whose values are write-only. */
import { createClient } from "@connectrpc/connect";
import { SecretSchema, SecretService, type Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(SecretService, conn.transport);

/** Secrets: `raworc secrets` (alias `secret`); tables show key names, never values. */
export const secretKind = defineKind<Secret>({
  kind: "Secret",
  singular: "secret",
  plural: "secrets",
  aliases: ["secret"],
  namespaced: "required",
  schema: SecretSchema,
  columns: ["type", "keys"],
  cells: (secret) => [secret.type || "Opaque", secret.keys],
  async create(conn, secret) {
    return returned((await client(conn).createSecret({ secret }, { signal: conn.signal })).secret, "secret");
  },
  async get(conn, ref) {
    return returned((await client(conn).getSecret({ ref }, { signal: conn.signal })).secret, "secret");
  },
  async list(conn, query) {
    const res = await client(conn).listSecrets(query, { signal: conn.signal });
    return { items: res.secrets, nextPageToken: res.nextPageToken };
  },
  async update(conn, secret, { removeKeys }) {
    return returned((await client(conn).updateSecret({ secret, removeKeys: [...(removeKeys ?? [])] }, { signal: conn.signal })).secret, "secret");
  },
  async delete(conn, ref) {
    await client(conn).deleteSecret({ ref }, { signal: conn.signal });
    return undefined;
  },
});
