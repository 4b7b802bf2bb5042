/** Reads and writes service accounts. */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { ServiceAccountSchema, type ServiceAccountRow } from "./entities/service-account.js";
import { lockActiveNamespace } from "./namespaces.js";
import type { Orm } from "./orm.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "./namespaced-list.js";

/** Fields a caller may set on a service account. */
export interface ServiceAccountFields {
  readonly description: string;
  readonly active: boolean;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Service account persistence over MikroORM; each call uses its own EntityManager fork. */
export class ServiceAccountStore {
  constructor(private readonly orm: Orm) {}

  /**
   * Creates an account; ALREADY_EXISTS when the name is taken in that namespace, and
   * FAILED_PRECONDITION when a namespaced account's namespace does not exist.
   */
  async create(
    ref: { namespace: string; name: string },
    fields: ServiceAccountFields,
    passwordHash: string,
  ): Promise<ServiceAccountRow> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const row = em.create(ServiceAccountSchema, {
          id: crypto.randomUUID(),
          namespace: ref.namespace,
          name: ref.name,
          ...fields,
          passwordHash,
          tokenGeneration: 1,
          lastLoginAt: null,
        });
        await em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`ServiceAccount "${display(ref)}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Finds an account by namespace and name. */
  async find(namespace: string, name: string, withPassword = false): Promise<ServiceAccountRow | null> {
    return this.orm.em
      .fork()
      .findOne(ServiceAccountSchema, { namespace, name }, withPassword ? { populate: ["passwordHash"] } : {});
  }

  /** Finds an account by id. */
  async findById(id: string, withPassword = false): Promise<ServiceAccountRow | null> {
    return this.orm.em.fork().findOne(ServiceAccountSchema, { id }, withPassword ? { populate: ["passwordHash"] } : {});
  }

  /** Gets an account or throws NOT_FOUND. */
  async get(namespace: string, name: string): Promise<ServiceAccountRow> {
    const row = await this.find(namespace, name);
    if (!row) throw notFound("ServiceAccount", namespace, name);
    return row;
  }

  /** Lists accounts ordered by (namespace, name), one page at a time. */
  async list(query: ListQuery): Promise<{ items: ServiceAccountRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(ServiceAccountSchema);
    const limit = filterNamespaced(qb, query);
    const rows = await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult();
    return namespacedPage(rows, limit);
  }

  /** Updates the caller-settable fields; ABORTED when expectedVersion is stale. */
  async update(
    ref: { namespace: string; name: string },
    expectedVersion: number | undefined,
    fields: ServiceAccountFields,
  ): Promise<ServiceAccountRow> {
    const em = this.orm.em.fork();
    const row = await em.findOne(ServiceAccountSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("ServiceAccount", ref.namespace, ref.name);
    if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
    // Deactivation voids the account's tokens at once: they carry an older generation.
    if (row.active && !fields.active) row.tokenGeneration += 1;
    Object.assign(row, fields);
    await em.flush();
    return row;
  }

  /**
   * What authenticating a call needs of an account, with the current RBAC version read in the
   * same statement (one round trip per call); null when the account does not exist.
   */
  async findStanding(id: string): Promise<(Pick<ServiceAccountRow, "id" | "namespace" | "name" | "active" | "tokenGeneration"> & { rbacVersion: string }) | null> {
    const [row] = await this.orm.em
      .getConnection()
      .execute<{ id: string; namespace: string; name: string; active: boolean; token_generation: number; rbac_version: string }[]>(
        `select a.id, a.namespace, a.name, a.active, a.token_generation, v.version as rbac_version
           from service_accounts a cross join rbac_version v where a.id = ? and v.id = 1`,
        [id],
      );
    return row ? { id: row.id, namespace: row.namespace, name: row.name, active: row.active, tokenGeneration: row.token_generation, rbacVersion: String(row.rbac_version) } : null;
  }

  /** Deletes an account; NOT_FOUND when it does not exist. */
  async delete(ref: { namespace: string; name: string }): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(ServiceAccountSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("ServiceAccount", ref.namespace, ref.name);
  }

  /** Replaces the password hash and voids every earlier token; returns the new generation. */
  async setPassword(id: string, passwordHash: string): Promise<number> {
    return this.bumpGeneration(id, { passwordHash });
  }

  /** Voids every token issued so far; returns the new generation. */
  async bumpGeneration(id: string, extra: { passwordHash?: string } = {}): Promise<number> {
    const result = await this.orm.em
      .fork()
      .getConnection()
      .execute<{ token_generation: number }[]>(
        `update service_accounts set token_generation = token_generation + 1, version = version + 1,
           updated_at = now()${extra.passwordHash ? ", password_hash = ?" : ""}
         where id = ? returning token_generation`,
        extra.passwordHash ? [extra.passwordHash, id] : [id],
      );
    const generation = result[0]?.token_generation;
    if (generation === undefined) throw new ConnectError("account no longer exists", Code.Unauthenticated);
    return generation;
  }

  /** Records a successful login without touching the version callers use for updates. */
  async recordLogin(id: string): Promise<void> {
    await this.orm.em.fork().getConnection().execute(`update service_accounts set last_login_at = now() where id = ?`, [id]);
  }
}

function display(ref: { namespace: string; name: string }): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
