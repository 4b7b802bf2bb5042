/** The Role kind: named sets of allow rules, global or in a namespace. */
import { createClient } from "@connectrpc/connect";
import { RbacService, RoleSchema, type Role } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(RbacService, conn.transport);

/** Roles: `raworc roles` (alias `role`). */
export const roleKind = defineKind<Role>({
  kind: "Role",
  singular: "role",
  plural: "roles",
  aliases: ["role"],
  namespaced: "optional",
  schema: RoleSchema,
  columns: ["rules", "description"],
  cells: (role) => [role.rules.length, role.description],
  async create(conn, role) {
    return returned((await client(conn).createRole({ role }, { signal: conn.signal })).role, "role");
  },
  async get(conn, ref) {
    return returned((await client(conn).getRole({ ref }, { signal: conn.signal })).role, "role");
  },
  async list(conn, query) {
    const res = await client(conn).listRoles(query, { signal: conn.signal });
    return { items: res.roles, nextPageToken: res.nextPageToken };
  },
  async update(conn, role) {
    return returned((await client(conn).updateRole({ role }, { signal: conn.signal })).role, "role");
  },
  async delete(conn, ref) {
    await client(conn).deleteRole({ ref }, { signal: conn.signal });
    return undefined;
  },
});
