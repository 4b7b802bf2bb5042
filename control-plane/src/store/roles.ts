/** Reads and writes roles: namespaced, or global when the namespace is "". */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { RoleSchema, type RoleRow, type StoredRule } from "./entities/rbac.js";
import { lockActiveNamespace } from "./namespaces.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "./namespaced-list.js";
import type { Orm } from "./orm.js";

/** Fields a caller may set on a role. */
export interface RoleFields {
  readonly description: string;
  readonly rules: StoredRule[];
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Where an object lives and what it is called. */
export interface NamespacedRef {
  readonly namespace: string;
  readonly name: string;
}

/** `namespace/name`, or just the name of a global object. */
export function displayRef(ref: NamespacedRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}

/** Role persistence over MikroORM; each call uses its own EntityManager fork. */
export class RoleStore {
  constructor(private readonly orm: Orm) {}

  /** Creates a role in an existing namespace (FAILED_PRECONDITION otherwise); ALREADY_EXISTS when taken. */
  async create(ref: NamespacedRef, fields: RoleFields): Promise<RoleRow> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const row = em.create(RoleSchema, { id: crypto.randomUUID(), namespace: ref.namespace, name: ref.name, ...fields });
        await em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Role "${displayRef(ref)}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Finds a role, or null. */
  async find(ref: NamespacedRef): Promise<RoleRow | null> {
    return this.orm.em.fork().findOne(RoleSchema, { namespace: ref.namespace, name: ref.name });
  }

  /** Gets a role or throws NOT_FOUND. */
  async get(ref: NamespacedRef): Promise<RoleRow> {
    const row = await this.find(ref);
    if (!row) throw notFound("Role", ref.namespace, ref.name);
    return row;
  }

  /** Lists roles ordered by (namespace, name), global ones first, one page at a time. */
  async list(query: ListQuery): Promise<{ items: RoleRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(RoleSchema);
    const limit = filterNamespaced(qb, query);
    return namespacedPage(await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult(), limit);
  }

  /** Replaces the caller-settable fields; ABORTED when expectedVersion is stale. */
  async update(ref: NamespacedRef, expectedVersion: number | undefined, fields: RoleFields): Promise<RoleRow> {
    const em = this.orm.em.fork();
    const row = await em.findOne(RoleSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("Role", ref.namespace, ref.name);
    if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
    Object.assign(row, fields);
    await em.flush();
    return row;
  }

  /** Deletes a role (bindings to it stop granting anything); NOT_FOUND when it does not exist. */
  async delete(ref: NamespacedRef): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(RoleSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("Role", ref.namespace, ref.name);
  }
}
