/** Opens the MikroORM connection to PostgreSQL and brings the schema up to date. */
import { MikroORM } from "@mikro-orm/postgresql";
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
    // pg waits forever by default, so a database that accepts connections but never answers would hang every call and /healthz.
    // A frozen database must not hold calls forever: connections time out, queries give up after
    // a minute (no RPC legitimately runs that long), and keepalives notice dead peers.
    driverOptions: { connectionTimeoutMillis: options.connectTimeoutMs ?? 5000, query_timeout: 60_000, keepAlive: true },
    // Entities are declared with defineEntity, so no reflection or discovery is needed.
    discovery: { warnWhenNoEntities: true },
    debug: false,
    allowGlobalContext: false,
    logger: (message) => options.logger?.debug({ orm: message }, "orm"),
  });
  await orm.migrator.up();
  return orm;
}
