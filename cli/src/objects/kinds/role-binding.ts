/** The RoleBinding kind: grants of a role to subjects, in a namespace or everywhere. */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { RbacService, RoleBindingSchema, RoleScope, type RoleBinding } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { defineKind, type Connection } from "../kind.js";
import { formatRoleRef, formatSubject } from "../subjects.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(RbacService, conn.transport);

/** Role bindings: `raworc rolebindings` (aliases `rb`, `rolebinding`). */
export const roleBindingKind = defineKind<RoleBinding>({
  kind: "RoleBinding",
  singular: "rolebinding",
  plural: "rolebindings",
  aliases: ["rb", "rolebinding"],
  namespaced: "optional",
  schema: RoleBindingSchema,
  columns: ["role", "subjects"],
  cells: (binding) => [formatRoleRef(binding.roleRef), binding.subjects.map(formatSubject)],
  async create(conn, roleBinding) {
    try {
      return returned((await client(conn).createRoleBinding({ roleBinding }, { signal: conn.signal })).roleBinding, "role binding");
    } catch (error) {
      throw withGlobalRoleHint(error, roleBinding);
    }
  },
  async get(conn, ref) {
    return returned((await client(conn).getRoleBinding({ ref }, { signal: conn.signal })).roleBinding, "role binding");
  },
  async list(conn, query) {
    const res = await client(conn).listRoleBindings(query, { signal: conn.signal });
    return { items: res.roleBindings, nextPageToken: res.nextPageToken };
  },
  async update(conn, roleBinding) {
    return returned((await client(conn).updateRoleBinding({ roleBinding }, { signal: conn.signal })).roleBinding, "role binding");
  },
  async delete(conn, ref) {
    await client(conn).deleteRoleBinding({ ref }, { signal: conn.signal });
    return undefined;
  },
});

/** The default roles are global, so a missing namespaced role is most often a forgotten `--role-scope global`. */
function withGlobalRoleHint(error: unknown, binding: RoleBinding): unknown {
  if (!(error instanceof ConnectError) || error.code !== Code.FailedPrecondition || binding.roleRef?.scope !== RoleScope.NAMESPACE) return error;
  const hint = ` (to bind the global role "${binding.roleRef.name}", use --role-scope global)`;
  const hinted = new ConnectError(error.rawMessage + hint, error.code, error.metadata, undefined, error);
  hinted.details = error.details;
  return hinted;
}
