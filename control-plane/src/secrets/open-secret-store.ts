/** Start-time setup of secrets: load the keys, re-encrypt rows under older keys, warn about unreadable ones. */
import type { ServerConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Orm } from "../store/orm.js";
import { SecretStore } from "../store/secrets.js";
import { loadSecretKeys } from "./secret-keys.js";

/** Loads the secrets keys, brings stored secrets onto the encryption key, and returns the store. */
export async function openSecretStore(orm: Orm, config: ServerConfig, logger: Logger): Promise<SecretStore> {
  const loaded = await loadSecretKeys({ key: config.secretsKey, keyFile: config.secretsKeyFile, dataDir: config.dataDir });
  const { keyring } = loaded;
  if (loaded.generated) logger.info({ keyFile: loaded.source }, `generated the secrets encryption key in ${loaded.source}; back it up`);
  const store = new SecretStore(orm, keyring);
  const outcome = await store.reencryptWithCurrentKey();
  if (outcome.reencrypted > 0) {
    logger.info({ count: outcome.reencrypted, keyId: keyring.encryptionKeyId }, "re-encrypted secrets under the current secrets key");
  }
  for (const [keyId, count] of outcome.unreadable) {
    // Not fatal: metadata still serves, and only reading or changing those values fails.
    logger.warn(
      { count, keyId, keySource: loaded.source },
      `${count} secret(s) are encrypted with key ${keyId}, which is not configured; add it to the secrets keys to read them`,
    );
  }
  if (outcome.corrupt > 0) {
    logger.error({ count: outcome.corrupt }, `${outcome.corrupt} secret(s) fail authentication: their stored data was altered`);
  }
  return store;
}
