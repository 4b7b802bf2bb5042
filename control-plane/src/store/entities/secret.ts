/** The `secrets` table: namespaced key/value maps whose values are stored only encrypted. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** MikroORM schema of a secret row. */
export const SecretSchema = defineEntity({
  name: "Secret",
  tableName: "secrets",
  uniques: [{ properties: ["namespace", "name"] }],
  properties: {
    id: p.uuid().primary(),
    namespace: p.string().length(63),
    name: p.string().length(63),
    type: p.string().length(253),
    /** The names of the data keys, sorted; kept in clear so reads never need to decrypt. */
    keys: p.json<string[]>(),
    /** AES-256-GCM ciphertext of the data map with its tag appended; lazy so reads never load it. */
    ciphertext: p.blob().lazy(),
    nonce: p.blob().lazy(),
    /** Which secrets key encrypted this row. */
    keyId: p.string().length(32),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** A secret row. */
export type SecretRow = InferEntity<typeof SecretSchema>;
