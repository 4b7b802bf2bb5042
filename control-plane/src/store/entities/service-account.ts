/** The `service_accounts` table: principals that log in with a password. */
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** MikroORM schema of a service account row. */
export const ServiceAccountSchema = defineEntity({
  name: "ServiceAccount",
  tableName: "service_accounts",
  uniques: [{ properties: ["namespace", "name"] }],
  properties: {
    id: p.uuid().primary(),
    namespace: p.string().length(63),
    name: p.string().length(63),
    description: p.text(),
    passwordHash: p.text().lazy(),
    active: p.boolean(),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    /** Bumped by logout, password change and deactivation: tokens of older generations are void. */
    tokenGeneration: p.integer(),
    lastLoginAt: p.datetime().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** A service account row. */
export type ServiceAccountRow = InferEntity<typeof ServiceAccountSchema>;
