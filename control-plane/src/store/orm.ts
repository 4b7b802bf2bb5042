/** Opens the MikroORM connection to PostgreSQL and brings the schema up to date. */
import { MikroORM } from "@mikro-orm/postgresql";
import pg from "pg";
import { Migrator } from "@mikro-orm/migrations";
import type { Logger } from "../logger.js";
import { entities } from "./entities/index.js";
import { migrations } from "./migrations/index.js";

/** The ORM instance the control plane uses. */
export type Orm = MikroORM;

/** Options for {@link openOrm}. */
export interface OpenOrmOptions {
  /** A postgres:// URL. */
  readonly url: string;
  /** Where ORM debug output goes; nothing is logged when omitted. */
  readonly logger?: Logger;
  /** Largest number of pooled connections (default 10). */
  readonly poolSize?: number;
  /** How long a query may wait to open a connection, or for a free one from a full pool, before it fails as unavailable (default 5000 ms). */
  readonly connectTimeoutMs?: number;
}

/** Connects, runs pending migrations and returns the ORM; the caller closes it. */
export async function openOrm(options: OpenOrmOptions): Promise<Orm> {
  const orm = await MikroORM.init({
    clientUrl: options.url,
    entities,
    extensions: [Migrator],
    migrations: { migrationsList: migrations, snapshot: false, silent: true, tableName: "raworc_migrations" },
    pool: { min: 0, max: options.poolSize ?? 10 },
    // A frozen database must not hold calls forever: connections time out, queries give up after
    // a minute (no RPC legitimately runs that long), and keepalives notice dead peers.
    driverOptions: { connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, query_timeout: 60_000, keepAlive: true },
    // Entities are declared with defineEntity, so no reflection or discovery is needed.
    discovery: { warnWhenNoEntities: true },
    debug: false,
    allowGlobalContext: false,
    logger: (message) => options.logger?.debug({ orm: message }, "orm"),
  });
  try {
    await withMigrationLock(options.url, () => orm.migrator.up());
  } catch (error) {
    await orm.close(true);
    throw error;
  }
  return orm;
}

// An arbitrary, fixed key for pg_advisory_lock: "raworc migrations".
const migrationLockKey = 7_146_533_810_114_241;

/**
 * Runs `fn` while holding a PostgreSQL advisory lock, so replicas starting at once migrate one
 * after the other: the second finds nothing pending instead of racing the first. The lock is
 * held by a connection of its own and released when that connection ends, even on a crash.
 */
async function withMigrationLock<T>(url: string, fn: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query("select pg_advisory_lock($1)", [migrationLockKey]);
    return await fn();
  } finally {
    await client.end().catch(() => undefined);
  }
}
