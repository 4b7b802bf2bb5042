/** Reads and writes role bindings: namespaced, or global when the namespace is "". */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { RoleBindingSchema, type RoleBindingRow, type StoredSubject } from "./entities/rbac.js";
import { lockActiveNamespace } from "./namespaces.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "./namespaced-list.js";
import type { Orm } from "./orm.js";
import { displayRef, type NamespacedRef } from "./roles.js";

/** The role a binding grants; fixed at creation. */
export interface StoredRoleRef {
  /** "namespace": a role in the binding's namespace; "global": a global role. */
  readonly scope: "namespace" | "global";
  readonly name: string;
}

/** Fields a caller may change on a binding (its role reference is not one of them). */
export interface RoleBindingFields {
  readonly subjects: StoredSubject[];
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** The role reference of a stored binding. */
export function roleRefOf(row: RoleBindingRow): StoredRoleRef {
  return { scope: row.roleScope === "global" ? "global" : "namespace", name: row.roleName };
}

/** Throws INVALID_ARGUMENT when an update names another role than the stored binding does. */
export function assertRoleRefUnchanged(row: RoleBindingRow, requested: StoredRoleRef): void {
  const stored = roleRefOf(row);
  if (stored.scope === requested.scope && stored.name === requested.name) return;
  throw new ConnectError(
    `role_ref cannot change: binding "${displayRef(row)}" grants ${stored.scope} role "${stored.name}", not ${requested.scope} role "${requested.name}"; delete and recreate it instead`,
    Code.InvalidArgument,
  );
}

/** Role binding persistence over MikroORM; each call uses its own EntityManager fork. */
export class RoleBindingStore {
  constructor(private readonly orm: Orm) {}

  /** Creates a binding in an existing namespace (FAILED_PRECONDITION otherwise); ALREADY_EXISTS when taken. */
  async create(ref: NamespacedRef, roleRef: StoredRoleRef, fields: RoleBindingFields): Promise<RoleBindingRow> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const row = em.create(RoleBindingSchema, {
          id: crypto.randomUUID(),
          namespace: ref.namespace,
          name: ref.name,
          roleScope: roleRef.scope,
          roleName: roleRef.name,
          ...fields,
        });
        await em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`RoleBinding "${displayRef(ref)}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Gets a binding or throws NOT_FOUND. */
  async get(ref: NamespacedRef): Promise<RoleBindingRow> {
    const row = await this.orm.em.fork().findOne(RoleBindingSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("RoleBinding", ref.namespace, ref.name);
    return row;
  }

  /** Lists bindings ordered by (namespace, name), global ones first, one page at a time. */
  async list(query: ListQuery): Promise<{ items: RoleBindingRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(RoleBindingSchema);
    const limit = filterNamespaced(qb, query);
    return namespacedPage(await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult(), limit);
  }

  /** Replaces subjects, labels and annotations (never the role reference); ABORTED when expectedVersion is stale. */
  async update(ref: NamespacedRef, expectedVersion: number | undefined, fields: RoleBindingFields): Promise<RoleBindingRow> {
    const em = this.orm.em.fork();
    const row = await em.findOne(RoleBindingSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("RoleBinding", ref.namespace, ref.name);
    if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
    Object.assign(row, fields);
    await em.flush();
    return row;
  }

  /** Deletes a binding; NOT_FOUND when it does not exist. */
  async delete(ref: NamespacedRef): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(RoleBindingSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("RoleBinding", ref.namespace, ref.name);
  }
}
