/** The ServiceAccount kind: principals that log in with a password, global or in a namespace. */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { ServiceAccountSchema, ServiceAccountService, type ServiceAccount } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { UsageError } from "../../errors.js";
import { formatAge } from "../../durations.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(ServiceAccountService, conn.transport);

/** Service accounts: `raworc serviceaccounts` (alias `sa`). */
export const serviceAccountKind = defineKind<ServiceAccount>({
  kind: "ServiceAccount",
  singular: "serviceaccount",
  plural: "serviceaccounts",
  aliases: ["sa", "serviceaccount"],
  namespaced: "optional",
  schema: ServiceAccountSchema,
  // The API's zero value would create an account that cannot log in; nobody writes that on purpose.
  defaults: { active: true },
  columns: ["active", "last login"],
  cells: (sa) => [sa.active ? "yes" : "no", sa.lastLoginAt ? formatAge(timestampDate(sa.lastLoginAt)) + " ago" : "never"],
  async create(conn, serviceAccount, { password }) {
    if (!password) throw new UsageError("a new service account needs an initial password: pass --password-stdin");
    const res = await client(conn).createServiceAccount({ serviceAccount, password }, { signal: conn.signal });
    return returned(res.serviceAccount, "service account");
  },
  async get(conn, ref) {
    return returned((await client(conn).getServiceAccount({ ref }, { signal: conn.signal })).serviceAccount, "service account");
  },
  async list(conn, query) {
    const res = await client(conn).listServiceAccounts(query, { signal: conn.signal });
    return { items: res.serviceAccounts, nextPageToken: res.nextPageToken };
  },
  async update(conn, serviceAccount) {
    return returned((await client(conn).updateServiceAccount({ serviceAccount }, { signal: conn.signal })).serviceAccount, "service account");
  },
  async delete(conn, ref) {
    await client(conn).deleteServiceAccount({ ref }, { signal: conn.signal });
    return undefined;
  },
});

/** Replaces a service account's password (and so revokes its tokens). */
export async function setServiceAccountPassword(conn: Connection, ref: { namespace: string; name: string }, password: string): Promise<void> {
  await client(conn).setServiceAccountPassword({ ref, password }, { signal: conn.signal });
}
