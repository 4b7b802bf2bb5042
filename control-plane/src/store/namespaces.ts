/**
 * Reads and writes namespaces, and guards the rule that namespaced objects live in an existing,
 * active namespace: creators hold a share lock on the namespace row for their transaction, and
 * deletion holds an exclusive one while it removes everything in the namespace, so nothing can
 * be created in a namespace that is being deleted.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException, type EntityManager } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { AgentSchema } from "./entities/agent.js";
import { NamespaceSchema, RoleBindingSchema, RoleSchema, type NamespaceRow } from "./entities/rbac.js";
import { SecretSchema } from "./entities/secret.js";
import { ServiceAccountSchema } from "./entities/service-account.js";
import { SessionSchema } from "./entities/session.js";
import { WebhookSchema } from "./entities/webhook.js";
import { labelSelectorSql, parseLabelSelector } from "./label-selector.js";
import type { Orm } from "./orm.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "./page-token.js";

/** Entities whose rows belong to a namespace and go when it is deleted; every namespaced kind adds itself here (a test checks). */
export const namespacedEntities = [AgentSchema, RoleBindingSchema, RoleSchema, SecretSchema, ServiceAccountSchema, SessionSchema, WebhookSchema] as const;

/** The namespace that always exists: refusing its deletion keeps bootstrap's promise. */
export const defaultNamespace = "default";

/** Counts a namespace's sessions that are not TERMINATING or TERMINATED, inside the deleting transaction. */
export type LiveSessionCounter = (em: EntityManager, namespace: string) => Promise<number>;

/** The default counter: sessions of the namespace that still run or could run again. */
export const countLiveSessions: LiveSessionCounter = async (em, namespace) => {
  const rows = await em.execute<{ n: string }[]>(
    `select count(*) as n from sessions where namespace = ? and state not in ('terminating', 'terminated')`,
    [namespace],
  );
  return Number(rows[0]?.n ?? 0);
};

/** Fields a caller may set on a namespace. */
export interface NamespaceFields {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Options of {@link NamespaceStore}. */
export interface NamespaceStoreOptions {
  /** How live sessions are counted before a delete (default: {@link countLiveSessions}). */
  readonly liveSessions?: LiveSessionCounter;
}

/**
 * Locks the namespace row for the rest of the transaction `em` runs in, or throws
 * FAILED_PRECONDITION when it does not exist or is terminating. "" (global) needs no namespace.
 */
export async function lockActiveNamespace(em: EntityManager, namespace: string): Promise<void> {
  if (namespace === "") return;
  const row = await em.findOne(NamespaceSchema, { name: namespace }, { lockMode: LockMode.PESSIMISTIC_READ });
  if (!row) throw new ConnectError(`namespace "${namespace}" does not exist`, Code.FailedPrecondition);
  if (row.phase !== "active") throw new ConnectError(`namespace "${namespace}" is terminating`, Code.FailedPrecondition);
}

/** Namespace persistence over MikroORM; each call uses its own EntityManager fork. */
export class NamespaceStore {
  private readonly liveSessions: LiveSessionCounter;

  constructor(
    private readonly orm: Orm,
    options: NamespaceStoreOptions = {},
  ) {
    this.liveSessions = options.liveSessions ?? countLiveSessions;
  }

  /** Creates an active namespace; ALREADY_EXISTS when the name is taken. */
  async create(name: string, fields: NamespaceFields): Promise<NamespaceRow> {
    const em = this.orm.em.fork();
    const row = em.create(NamespaceSchema, { id: crypto.randomUUID(), name, phase: "active", ...fields });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Namespace "${name}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
    return row;
  }

  /** Gets a namespace or throws NOT_FOUND. */
  async get(name: string): Promise<NamespaceRow> {
    const row = await this.orm.em.fork().findOne(NamespaceSchema, { name });
    if (!row) throw notFound("Namespace", "", name);
    return row;
  }

  /** Lists namespaces ordered by name, one page at a time. */
  async list(query: { labelSelector: string; pageSize: number; pageToken: string }): Promise<{ items: NamespaceRow[]; nextPageToken: string }> {
    const size = effectivePageSize(query.pageSize);
    const after = decodePageToken(query.pageToken, 1);
    const qb = this.orm.em.fork().createQueryBuilder(NamespaceSchema);
    const selector = labelSelectorSql(parseLabelSelector(query.labelSelector));
    if (selector) qb.andWhere(selector.sql, selector.params);
    if (after) qb.andWhere({ name: { $gt: after[0] } });
    const rows = await qb.orderBy({ name: "asc" }).limit(size + 1).getResult();
    const items = rows.slice(0, size);
    const last = items.at(-1);
    return { items, nextPageToken: rows.length > size && last ? encodePageToken([last.name]) : "" };
  }

  /**
   * Deletes a namespace and everything in it in one transaction, returning the row as it was
   * last seen (TERMINATING). FAILED_PRECONDITION for `default`, or while live sessions remain
   * and `force` is not set.
   */
  async delete(name: string, force: boolean): Promise<NamespaceRow> {
    if (name === defaultNamespace) {
      throw new ConnectError(`namespace "${name}" cannot be deleted`, Code.FailedPrecondition);
    }
    return this.orm.em.fork().transactional(async (em) => {
      // Waits for creators holding a share lock, and keeps new ones out until the contents are gone.
      const row = await em.findOne(NamespaceSchema, { name }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row) throw notFound("Namespace", "", name);
      const live = await this.liveSessions(em, name);
      if (live > 0 && !force) {
        throw new ConnectError(
          `namespace "${name}" has ${live} live session${live === 1 ? "" : "s"}; terminate them first or delete with force`,
          Code.FailedPrecondition,
        );
      }
      // A session's log goes with it. Its daemon and volume are the reconciler's to remove: its
      // garbage collection destroys what the runtime holds of sessions the database has no more.
      for (const table of ["session_events", "session_transitions", "session_work_items", "session_checkpoints"]) {
        await em.execute(`delete from "${table}" where session_id in (select id from sessions where namespace = ?)`, [name]);
      }
      for (const entity of namespacedEntities) await em.execute(`delete from "${entity.meta.tableName}" where namespace = ?`, [name]);
      await em.nativeDelete(NamespaceSchema, { id: row.id });
      // The caller sees the last state the namespace had; a later get answers NOT_FOUND.
      return { ...row, phase: "terminating" };
    });
  }
}
