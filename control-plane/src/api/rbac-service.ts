/**
 * RbacService: CRUD of roles and role bindings with Kubernetes' escalation prevention, and
 * CheckAccess. The interceptor has already authorized the verb itself; these handlers add what
 * depends on the object (the rules granted, the role bound).
 */
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import type { RbacService, Role, RoleBinding } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { kCaller, kListScope, type AuthenticatedCaller } from "../context.js";
import type { Authorizer } from "../rbac/authorizer.js";
import { assertMayBind, assertMayWriteRole, type BoundRole } from "../rbac/escalation.js";
import { assertRoleRefUnchanged, type RoleBindingStore, type StoredRoleRef } from "../store/role-bindings.js";
import { displayRef, type NamespacedRef, type RoleStore } from "../store/roles.js";
import { checkAccess } from "./check-access.js";
import { parseResourceVersion, requireNamed } from "./object-meta.js";
import { storedRoleRef, storedRules, storedSubjects, toRole, toRoleBinding } from "./rbac-objects.js";

/** What the RbacService handlers need. */
export interface RbacServiceDependencies {
  readonly roles: RoleStore;
  readonly bindings: RoleBindingStore;
  readonly authorizer: Authorizer;
}

function callerOf(ctx: HandlerContext): AuthenticatedCaller {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw new ConnectError("not authenticated", Code.Unauthenticated);
  return caller;
}

function refOf(ref: ObjectRef | undefined): NamespacedRef {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

function roleFields(role: Role) {
  return {
    description: role.description,
    rules: storedRules(role.rules),
    labels: { ...role.metadata?.labels },
    annotations: { ...role.metadata?.annotations },
  };
}

function bindingFields(binding: RoleBinding) {
  return {
    subjects: storedSubjects(binding.subjects),
    labels: { ...binding.metadata?.labels },
    annotations: { ...binding.metadata?.annotations },
  };
}

/** The role a binding in `namespace` refers to, which must exist (FAILED_PRECONDITION naming it otherwise). */
async function boundRole(roles: RoleStore, namespace: string, ref: StoredRoleRef): Promise<BoundRole> {
  if (ref.scope === "namespace" && namespace === "") {
    throw new ConnectError("a global binding can only reference a global role", Code.InvalidArgument);
  }
  const roleRef = { namespace: ref.scope === "global" ? "" : namespace, name: ref.name };
  const role = await roles.find(roleRef);
  if (!role) {
    const where = ref.scope === "global" ? `global role "${ref.name}"` : `role "${displayRef(roleRef)}"`;
    throw new ConnectError(`${where} does not exist; create it before binding it`, Code.FailedPrecondition);
  }
  return { scope: ref.scope, name: ref.name, rules: role.rules };
}

/** Creates the RbacService implementation. */
export function createRbacService({ roles, bindings, authorizer }: RbacServiceDependencies): ServiceImpl<typeof RbacService> {
  const listQuery = (req: { namespace: string; labelSelector: string; pageSize: number; pageToken: string }, ctx: HandlerContext) => {
    const scope = ctx.values.get(kListScope);
    return {
      namespace: req.namespace || undefined,
      namespaces: scope.all ? undefined : scope.namespaces,
      labelSelector: req.labelSelector,
      pageSize: req.pageSize,
      pageToken: req.pageToken,
    };
  };
  return {
    async createRole(req, ctx) {
      const role = req.role!;
      const meta = requireNamed(role.metadata, "role.metadata");
      const fields = roleFields(role);
      await assertMayWriteRole(authorizer, callerOf(ctx), meta, fields.rules);
      return { role: toRole(await roles.create(meta, fields)) };
    },
    async getRole(req) {
      return { role: toRole(await roles.get(refOf(req.ref))) };
    },
    async listRoles(req, ctx) {
      const page = await roles.list(listQuery(req, ctx));
      return { roles: page.items.map(toRole), nextPageToken: page.nextPageToken };
    },
    async updateRole(req, ctx) {
      const role = req.role!;
      const meta = requireNamed(role.metadata, "role.metadata");
      const fields = roleFields(role);
      await assertMayWriteRole(authorizer, callerOf(ctx), meta, fields.rules);
      return { role: toRole(await roles.update(meta, parseResourceVersion(meta.resourceVersion), fields)) };
    },
    async deleteRole(req) {
      await roles.delete(refOf(req.ref));
      return {};
    },
    async createRoleBinding(req, ctx) {
      const binding = req.roleBinding!;
      const meta = requireNamed(binding.metadata, "role_binding.metadata");
      const ref = storedRoleRef(binding.roleRef);
      const fields = bindingFields(binding);
      await assertMayBind(authorizer, callerOf(ctx), meta, await boundRole(roles, meta.namespace, ref));
      return { roleBinding: toRoleBinding(await bindings.create(meta, ref, fields)) };
    },
    async getRoleBinding(req) {
      return { roleBinding: toRoleBinding(await bindings.get(refOf(req.ref))) };
    },
    async listRoleBindings(req, ctx) {
      const page = await bindings.list(listQuery(req, ctx));
      return { roleBindings: page.items.map(toRoleBinding), nextPageToken: page.nextPageToken };
    },
    async updateRoleBinding(req, ctx) {
      const binding = req.roleBinding!;
      const meta = requireNamed(binding.metadata, "role_binding.metadata");
      const ref = storedRoleRef(binding.roleRef);
      const fields = bindingFields(binding);
      assertRoleRefUnchanged(await bindings.get(meta), ref);
      await assertMayBind(authorizer, callerOf(ctx), meta, await boundRole(roles, meta.namespace, ref));
      return { roleBinding: toRoleBinding(await bindings.update(meta, parseResourceVersion(meta.resourceVersion), fields)) };
    },
    async deleteRoleBinding(req) {
      await bindings.delete(refOf(req.ref));
      return {};
    },
    async checkAccess(req, ctx) {
      return checkAccess(authorizer, callerOf(ctx), req);
    },
  };
}
