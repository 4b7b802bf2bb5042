/**
 * A webhook's signing secrets: generated here ("whsec_" + base64 of 32 random bytes, as
 * Standard Webhooks recommends), shown once, and kept encrypted at rest with the secrets keys
 * (the same AES-256-GCM sealing as Secrets, bound to the webhook's identity).
 */
import { randomBytes } from "node:crypto";
import { decryptSecretData, encryptSecretData, type SealedSecretData, type SecretIdentity } from "../secrets/secret-crypto.js";
import type { SecretKeyring } from "../secrets/secret-keys.js";

/** The secrets that sign a webhook's deliveries: the current one and, during a rotation's grace period, the previous one. */
export interface SigningSecrets {
  readonly current: string;
  readonly previous?: string;
}

/** A fresh signing secret. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

function identityOf(webhook: { namespace: string; name: string; id: string }): SecretIdentity {
  return { kind: "raworc.v1.Webhook", namespace: webhook.namespace, name: webhook.name, uid: webhook.id };
}

/** Encrypts a webhook's signing secrets under the keyring's encryption key. */
export function sealSigningSecrets(keyring: SecretKeyring, webhook: { namespace: string; name: string; id: string }, secrets: SigningSecrets): SealedSecretData {
  return encryptSecretData(keyring, identityOf(webhook), { current: secrets.current, ...(secrets.previous ? { previous: secrets.previous } : {}) });
}

/** Decrypts a webhook's signing secrets (throws SecretDecryptionError when the key is missing or the row was altered). */
export function openSigningSecrets(keyring: SecretKeyring, webhook: { namespace: string; name: string; id: string }, sealed: SealedSecretData): SigningSecrets {
  const data = decryptSecretData(keyring, identityOf(webhook), sealed);
  return { current: data.current ?? "", ...(data.previous ? { previous: data.previous } : {}) };
}
