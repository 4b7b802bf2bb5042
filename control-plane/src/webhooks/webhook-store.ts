/** Reads and writes webhooks; their signing secrets are generated here and stored only encrypted. */
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException, type EntityManager } from "@mikro-orm/postgresql";
import { notFound } from "../errors.js";
import { SecretDecryptionError } from "../secrets/secret-crypto.js";
import type { SecretKeyring } from "../secrets/secret-keys.js";
import { WebhookSchema, type WebhookRow } from "../store/entities/webhook.js";
import { lockActiveNamespace } from "../store/namespaces.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "../store/namespaced-list.js";
import type { Orm } from "../store/orm.js";
import { generateSigningSecret, openSigningSecrets, sealSigningSecrets, type SigningSecrets } from "./signing-secrets.js";

/** Fields a caller sets on a webhook. */
export interface WebhookFields {
  readonly url: string;
  readonly eventTypes: readonly string[];
  readonly sessionSelector: string;
  readonly disabled: boolean;
  readonly timeoutMs: number;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** Why a webhook is disabled (WebhookStatus.disabled_reason). */
export type DisabledReason = "Disabled" | "Gone" | "RetriesExhausted";

type Ref = { readonly namespace: string; readonly name: string };

/** A stored principal (kind, namespace, name, uid). */
export type StoredOwner = Record<string, string>;

/** Webhook persistence; each call uses its own EntityManager fork. */
export class WebhookStore {
  constructor(
    private readonly orm: Orm,
    private readonly keyring: SecretKeyring,
  ) {}

  /** Creates a webhook with a fresh signing secret, returned once; ALREADY_EXISTS when the name is taken. */
  async create(ref: Ref, fields: WebhookFields, owner: StoredOwner): Promise<{ row: WebhookRow; secret: string }> {
    const id = crypto.randomUUID();
    const secret = generateSigningSecret();
    const sealed = sealSigningSecrets(this.keyring, { ...ref, id }, { current: secret });
    try {
      const row = await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const created = em.create(WebhookSchema, {
          id,
          namespace: ref.namespace,
          name: ref.name,
          ...columnsOf(fields),
          disabledReason: fields.disabled ? "Disabled" : "",
          disabledMessage: fields.disabled ? "disabled when created" : "",
          owner,
          secretCiphertext: Buffer.from(sealed.ciphertext),
          secretNonce: Buffer.from(sealed.nonce),
          secretKeyId: sealed.keyId,
          secretCreatedAt: new Date(),
          previousSecretExpiresAt: null,
          lastSuccessAt: null,
          lastFailureAt: null,
          lastFailure: "",
        });
        await em.flush();
        return created;
      });
      return { row, secret };
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Webhook "${ref.namespace}/${ref.name}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Gets a webhook (without its secrets) or throws NOT_FOUND. */
  async get(ref: Ref): Promise<WebhookRow> {
    const row = await this.orm.em.fork().findOne(WebhookSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("Webhook", ref.namespace, ref.name);
    return row;
  }

  /** Gets a webhook by id, or null. */
  async findById(id: string): Promise<WebhookRow | null> {
    return this.orm.em.fork().findOne(WebhookSchema, { id });
  }

  /** Lists webhooks ordered by (namespace, name), one page at a time. */
  async list(query: ListQuery): Promise<{ items: WebhookRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(WebhookSchema);
    const limit = filterNamespaced(qb, query);
    return namespacedPage(await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult(), limit);
  }

  /**
   * Replaces the fields and makes `owner` the owner; ABORTED when expectedVersion is stale.
   * Disabling cancels pending deliveries; enabling clears the reason the server gave.
   */
  async update(ref: Ref, expectedVersion: number | undefined, fields: WebhookFields, owner: StoredOwner): Promise<WebhookRow> {
    return this.orm.em.fork().transactional(async (em) => {
      const row = await em.findOne(WebhookSchema, { namespace: ref.namespace, name: ref.name });
      if (!row) throw notFound("Webhook", ref.namespace, ref.name);
      if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
      const wasDisabled = row.disabled;
      Object.assign(row, columnsOf(fields), { owner });
      if (fields.disabled && !wasDisabled) {
        Object.assign(row, { disabledReason: "Disabled", disabledMessage: "disabled by an update" });
        await cancelPending(em, row.id, "the webhook was disabled");
      } else if (!fields.disabled) {
        Object.assign(row, { disabledReason: "", disabledMessage: "" });
      }
      await em.flush();
      return row;
    });
  }

  /** Deletes a webhook and its deliveries; NOT_FOUND when it does not exist. */
  async delete(ref: Ref): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(WebhookSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("Webhook", ref.namespace, ref.name);
  }

  /** Makes a new signing secret, returned once; the current one keeps signing for `graceMs` (0: dropped at once). */
  async rotate(ref: Ref, graceMs: number): Promise<{ row: WebhookRow; secret: string }> {
    const secret = generateSigningSecret();
    const row = await this.orm.em.fork().transactional(async (em) => {
      const found = await em.findOne(WebhookSchema, { namespace: ref.namespace, name: ref.name }, { populate: ["secretCiphertext", "secretNonce"], lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!found) throw notFound("Webhook", ref.namespace, ref.name);
      const { current } = this.open(found);
      const next: SigningSecrets = graceMs > 0 ? { current: secret, previous: current } : { current: secret };
      const sealed = sealSigningSecrets(this.keyring, found, next);
      Object.assign(found, {
        secretCiphertext: Buffer.from(sealed.ciphertext),
        secretNonce: Buffer.from(sealed.nonce),
        secretKeyId: sealed.keyId,
        secretCreatedAt: new Date(),
        previousSecretExpiresAt: graceMs > 0 ? new Date(Date.now() + graceMs) : null,
      });
      await em.flush();
      return found;
    });
    return { row, secret };
  }

  /** The secrets that sign the webhook's deliveries now: the current one, and the previous one until its grace period ends. */
  async signingSecrets(id: string): Promise<string[]> {
    const row = await this.orm.em.fork().findOne(WebhookSchema, { id }, { populate: ["secretCiphertext", "secretNonce"] });
    if (!row) throw new ConnectError("the webhook no longer exists", Code.NotFound);
    const { current, previous } = this.open(row);
    const previousValid = previous && row.previousSecretExpiresAt && row.previousSecretExpiresAt.getTime() > Date.now();
    return previousValid ? [current, previous] : [current];
  }

  /** Disables a webhook for the server's reason, cancelling its pending deliveries; nothing when already disabled. */
  async disable(id: string, reason: DisabledReason, message: string): Promise<void> {
    await this.orm.em.fork().transactional(async (em) => {
      const rows = await em.execute<{ id: string }[]>(
        `update webhooks set disabled = true, disabled_reason = ?, disabled_message = ?, updated_at = now(), version = version + 1 where id = ? and not disabled returning id`,
        [reason, message.slice(0, 4096), id],
      );
      if (rows.length > 0) await cancelPending(em, id, `the webhook was disabled: ${reason}`);
    });
  }

  /** Records how an attempt went, for the webhook's status. */
  async recordOutcome(id: string, failure: string | undefined): Promise<void> {
    await this.orm.em.getConnection().execute(
      failure === undefined
        ? `update webhooks set last_success_at = now() where id = ?`
        : `update webhooks set last_failure_at = now(), last_failure = ? where id = ?`,
      failure === undefined ? [id] : [failure.slice(0, 4096), id],
    );
  }

  /**
   * Moves every webhook's signing secrets sealed under an older secrets key to the current one
   * (as Secrets are at start, so an old key can be dropped); counts the rows no key opens.
   */
  async reencryptWithCurrentKey(): Promise<{ reencrypted: number; unreadable: number }> {
    const conn = this.orm.em.getConnection();
    const stale = await conn.execute<{ id: string; namespace: string; name: string; secret_key_id: string; secret_ciphertext: Buffer; secret_nonce: Buffer }[]>(
      `select id, namespace, name, secret_key_id, secret_ciphertext, secret_nonce from webhooks where secret_key_id <> ?`,
      [this.keyring.encryptionKeyId],
    );
    let reencrypted = 0;
    let unreadable = 0;
    for (const row of stale) {
      let secrets: SigningSecrets;
      try {
        secrets = openSigningSecrets(this.keyring, row, { ciphertext: row.secret_ciphertext, nonce: row.secret_nonce, keyId: row.secret_key_id });
      } catch (error) {
        if (!(error instanceof SecretDecryptionError)) throw error;
        unreadable++;
        continue;
      }
      const sealed = sealSigningSecrets(this.keyring, row, secrets);
      // A concurrent rotation (already on the new key) wins.
      const updated = await conn.execute<{ id: string }[]>(
        `update webhooks set secret_ciphertext = ?, secret_nonce = ?, secret_key_id = ? where id = ? and secret_key_id = ? returning id`,
        [Buffer.from(sealed.ciphertext), Buffer.from(sealed.nonce), sealed.keyId, row.id, row.secret_key_id],
      );
      reencrypted += updated.length;
    }
    return { reencrypted, unreadable };
  }

  private open(row: WebhookRow): SigningSecrets {
    try {
      return openSigningSecrets(this.keyring, row, { ciphertext: row.secretCiphertext, nonce: row.secretNonce, keyId: row.secretKeyId });
    } catch (error) {
      if (error instanceof SecretDecryptionError) {
        throw new ConnectError(`Webhook "${row.namespace}/${row.name}" signing secret cannot be read: ${error.message}`, Code.FailedPrecondition);
      }
      throw error;
    }
  }
}

function columnsOf(fields: WebhookFields) {
  return {
    url: fields.url,
    eventTypes: [...fields.eventTypes],
    sessionSelector: fields.sessionSelector,
    disabled: fields.disabled,
    timeoutMs: fields.timeoutMs,
    labels: fields.labels,
    annotations: fields.annotations,
  };
}

/** Cancels a webhook's pending deliveries (they stay listed, and replayable). */
async function cancelPending(em: EntityManager, webhookId: string, message: string): Promise<void> {
  await em.execute(
    `update webhook_deliveries set state = 'cancelled', message = ?, completed_at = now(), lease_owner = null, lease_until = null where webhook_id = ? and state = 'pending'`,
    [message, webhookId],
  );
}
