/** The `roles`, `role_bindings` and `namespaces` tables. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** A stored rule: the same fields as the API's PolicyRule. */
export interface StoredRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames: string[];
}

/** A stored binding subject. */
export interface StoredSubject {
  kind: "ServiceAccount" | "User" | "Group";
  name: string;
  namespace: string;
}

const common = {
  id: p.uuid().primary(),
  labels: p.json<Record<string, string>>(),
  annotations: p.json<Record<string, string>>(),
  createdAt: p.datetime().onCreate(() => new Date()),
  updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  version: p.integer().version(),
};

/** The trigger body that moves the RBAC version on, in the transaction that changed a role or binding (also used by migration 0007). */
export const bumpRbacVersionBody = `update "rbac_version" set "version" = "version" + 1 where "id" = 1; return null;`;

/** Every write to roles or bindings moves the RBAC version on, so grants kept under an older version are never used again. */
const bumpRbacVersion = { name: "bump_rbac_version", timing: "after", events: ["insert", "update", "delete"], forEach: "statement", body: bumpRbacVersionBody } as const;

/**
 * MikroORM schema of the one-row RBAC version: authentication reads it with the account on
 * every call, and the authorizer keeps each subject's grants only under the version they were
 * read at, so an RBAC change holds on every replica from the next call on.
 */
export const RbacVersionSchema = defineEntity({
  name: "RbacVersion",
  tableName: "rbac_version",
  properties: {
    id: p.smallint().primary().autoincrement(false),
    version: p.bigint("string"),
  },
});

/** MikroORM schema of a role: namespaced, or global when namespace is "". */
export const RoleSchema = defineEntity({
  name: "Role",
  tableName: "roles",
  uniques: [{ properties: ["namespace", "name"] }],
  triggers: [{ ...bumpRbacVersion, events: [...bumpRbacVersion.events] }],
  properties: {
    ...common,
    namespace: p.string().length(63),
    name: p.string().length(63),
    description: p.text(),
    rules: p.json<StoredRule[]>(),
  },
});

/** MikroORM schema of a role binding: namespaced, or global when namespace is "". */
export const RoleBindingSchema = defineEntity({
  name: "RoleBinding",
  tableName: "role_bindings",
  uniques: [{ properties: ["namespace", "name"] }],
  triggers: [{ ...bumpRbacVersion, events: [...bumpRbacVersion.events] }],
  // Authorization looks bindings up by subject (jsonb containment) on every call.
  indexes: [
    {
      name: "role_bindings_subjects_gin",
      expression: `create index "role_bindings_subjects_gin" on "role_bindings" using gin ("subjects" jsonb_path_ops)`,
    },
  ],
  properties: {
    ...common,
    namespace: p.string().length(63),
    name: p.string().length(63),
    /** "namespace" (a role in the binding's namespace) or "global" (a global role). */
    roleScope: p.string().length(16),
    roleName: p.string().length(63),
    subjects: p.json<StoredSubject[]>(),
  },
});

/** MikroORM schema of a namespace. */
export const NamespaceSchema = defineEntity({
  name: "Namespace",
  tableName: "namespaces",
  properties: {
    ...common,
    name: p.string().length(63).unique(),
    /** "active" or "terminating". */
    phase: p.string().length(16),
  },
});

/** A role row. */
export type RoleRow = InferEntity<typeof RoleSchema>;
/** A role binding row. */
export type RoleBindingRow = InferEntity<typeof RoleBindingSchema>;
/** A namespace row. */
export type NamespaceRow = InferEntity<typeof NamespaceSchema>;
