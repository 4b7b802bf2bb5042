/** Reads and writes secrets; values are encrypted before they reach the database and never leave it over the API. */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException, type EntityManager, type QueryResult } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { decryptSecretData, encryptSecretData, SecretDecryptionError, type SecretIdentity } from "../secrets/secret-crypto.js";
import type { SecretKeyring } from "../secrets/secret-keys.js";
import { SecretSchema, type SecretRow } from "./entities/secret.js";
import type { Orm } from "./orm.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "./namespaced-list.js";

/** Fields a caller may set on a secret besides its data. */
export interface SecretFields {
  readonly type: string;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Changes to a secret's data: keys to set and keys to remove. */
export interface SecretDataChanges {
  readonly set: Readonly<Record<string, string>>;
  readonly remove: readonly string[];
}

/** What re-encrypting stored secrets under the current key did. */
export interface ReencryptOutcome {
  /** Rows moved to the encryption key. */
  readonly reencrypted: number;
  /** Rows encrypted with a key that is not configured, counted by the key id they need. */
  readonly unreadable: ReadonlyMap<string, number>;
  /** Rows that fail authentication under their key: altered, or copied from another row. */
  readonly corrupt: number;
}

/** The most keys a secret may hold (as the API validates for one request). */
export const maxSecretKeys = 64;

type Ref = { readonly namespace: string; readonly name: string };

/** Secret persistence over MikroORM; each call uses its own EntityManager fork. */
export class SecretStore {
  constructor(
    private readonly orm: Orm,
    /** The secrets keys; other stores that encrypt at rest (webhook signing secrets) use them too. */
    readonly keyring: SecretKeyring,
  ) {}

  /** Creates a secret in an existing namespace; ALREADY_EXISTS when the name is taken there. */
  async create(ref: Ref, fields: SecretFields, data: Readonly<Record<string, string>>): Promise<SecretRow> {
    const keys = keysOf(data);
    if (keys.length === 0) throw new ConnectError("secret.data must hold at least one key", Code.InvalidArgument);
    const id = crypto.randomUUID();
    const sealed = encryptSecretData(this.keyring, { namespace: ref.namespace, name: ref.name, uid: id }, data);
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const row = em.create(SecretSchema, { id, namespace: ref.namespace, name: ref.name, ...fields, keys, ...sealed });
        await em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Secret "${ref.namespace}/${ref.name}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Gets a secret's metadata and key names (never its data) or throws NOT_FOUND. */
  async get(ref: Ref): Promise<SecretRow> {
    const row = await this.orm.em.fork().findOne(SecretSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("Secret", ref.namespace, ref.name);
    return row;
  }

  /** Lists secrets ordered by (namespace, name), one page at a time, without their data. */
  async list(query: ListQuery): Promise<{ items: SecretRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(SecretSchema);
    const limit = filterNamespaced(qb, query);
    const rows = await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult();
    return namespacedPage(rows, limit);
  }

  /**
   * Replaces type, labels and annotations, sets and removes data keys (others keep their
   * values) and re-encrypts under the current key; ABORTED when expectedVersion is stale.
   */
  async update(ref: Ref, expectedVersion: number | undefined, fields: SecretFields, changes: SecretDataChanges): Promise<SecretRow> {
    const em = this.orm.em.fork();
    const touchesData = Object.keys(changes.set).length > 0 || changes.remove.length > 0;
    const row = await em.findOne(
      SecretSchema,
      { namespace: ref.namespace, name: ref.name },
      touchesData ? { populate: ["ciphertext", "nonce"] } : {},
    );
    if (!row) throw notFound("Secret", ref.namespace, ref.name);
    if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
    Object.assign(row, fields);
    if (touchesData) {
      const data = new Map(Object.entries(this.decrypt(row)));
      for (const key of changes.remove) data.delete(key);
      for (const [key, value] of Object.entries(changes.set)) data.set(key, value);
      if (data.size === 0) throw new ConnectError("a secret must keep at least one key; delete it instead", Code.InvalidArgument);
      if (data.size > maxSecretKeys) throw new ConnectError(`a secret holds at most ${maxSecretKeys} keys`, Code.InvalidArgument);
      const merged = Object.fromEntries(data);
      Object.assign(row, { keys: keysOf(merged), ...encryptSecretData(this.keyring, identityOf(row), merged) });
    }
    // The version column makes this flush conditional: a concurrent writer makes it ABORTED.
    await em.flush();
    return row;
  }

  /** Deletes a secret; NOT_FOUND when it does not exist. */
  async delete(ref: Ref): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(SecretSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("Secret", ref.namespace, ref.name);
  }

  /** Decrypts a secret's values, for delivery to a session's daemon; never for an API response. */
  async readData(ref: Ref): Promise<Record<string, string>> {
    const row = await this.orm.em
      .fork()
      .findOne(SecretSchema, { namespace: ref.namespace, name: ref.name }, { populate: ["ciphertext", "nonce"] });
    if (!row) throw notFound("Secret", ref.namespace, ref.name);
    return this.decrypt(row);
  }

  /**
   * Moves every row encrypted under an older key to the current encryption key, so an old key
   * can be dropped after one start with both; counts the rows it cannot decrypt.
   */
  async reencryptWithCurrentKey(): Promise<ReencryptOutcome> {
    const conn = this.orm.em.getConnection();
    const unreadable = new Map<string, number>();
    let reencrypted = 0;
    let corrupt = 0;
    const stale = await conn.execute<{ id: string; namespace: string; name: string; key_id: string; ciphertext: Buffer; nonce: Buffer; version: number }[]>(
      `select id, namespace, name, key_id, ciphertext, nonce, version from secrets where key_id <> ?`,
      [this.keyring.encryptionKeyId],
    );
    for (const row of stale) {
      const identity = { namespace: row.namespace, name: row.name, uid: row.id };
      let data: Record<string, string>;
      try {
        data = decryptSecretData(this.keyring, identity, { ciphertext: row.ciphertext, nonce: row.nonce, keyId: row.key_id });
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        if (error.reason === "unknown-key") unreadable.set(row.key_id, (unreadable.get(row.key_id) ?? 0) + 1);
        else corrupt++;
        continue;
      }
      const sealed = encryptSecretData(this.keyring, identity, data);
      // Same plaintext, so the version (what clients compare) stays; a concurrent update wins.
      const result = await conn.execute<QueryResult>(
        `update secrets set ciphertext = ?, nonce = ?, key_id = ? where id = ? and version = ? and key_id = ?`,
        [sealed.ciphertext, sealed.nonce, sealed.keyId, row.id, row.version, row.key_id],
        "run",
      );
      reencrypted += result.affectedRows;
    }
    return { reencrypted, unreadable, corrupt };
  }

  private decrypt(row: SecretRow): Record<string, string> {
    try {
      return decryptSecretData(this.keyring, identityOf(row), { ciphertext: row.ciphertext, nonce: row.nonce, keyId: row.keyId });
    } catch (error) {
      if (error instanceof SecretDecryptionError) {
        throw new ConnectError(`Secret "${row.namespace}/${row.name}" cannot be read: ${error.message}`, Code.FailedPrecondition);
      }
      throw error;
    }
  }
}

/**
 * Share-locks the namespace row for the transaction, or throws FAILED_PRECONDITION when it does
 * not exist or is not active: a namespace being deleted holds the row exclusively, so no secret
 * can be created in it meanwhile.
 */
async function lockActiveNamespace(em: EntityManager, namespace: string): Promise<void> {
  const rows = await em.execute<{ phase: string }[]>(`select phase from namespaces where name = ? for share`, [namespace]);
  const phase = rows[0]?.phase;
  if (phase === undefined) throw new ConnectError(`namespace "${namespace}" does not exist`, Code.FailedPrecondition);
  if (phase !== "active") throw new ConnectError(`namespace "${namespace}" is terminating`, Code.FailedPrecondition);
}

function keysOf(data: Readonly<Record<string, string>>): string[] {
  return Object.keys(data).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function identityOf(row: SecretRow): SecretIdentity {
  return { namespace: row.namespace, name: row.name, uid: row.id };
}
