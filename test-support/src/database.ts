/** Databases for tests: a fresh one per call, on RAWORC_DATABASE_URL's server or on one embedded PostgreSQL per run. */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "@raworc/control-plane";
import { onRelease } from "./shared-resources.js";

/** A database of one's own; drop() removes it (also done after the run if forgotten). */
export interface TestDatabase {
  /** postgres:// URL of the new, empty database. */
  readonly url: string;
  /** Drops the database, closing any connections still open to it; safe to call twice. */
  drop(): Promise<void>;
}

let embedded: Promise<string> | undefined;

/** Starts, once per run, the embedded PostgreSQL used when RAWORC_DATABASE_URL is unset, and resolves to its URL. */
export function startEmbeddedForTests(): Promise<string> {
  embedded ??= (async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "raworc-test-pg-"));
    const removeDir = () => rm(dataDir, { recursive: true, force: true });
    // Test data is thrown away, so durability is traded for speed.
    const server = await startEmbeddedPostgres({ dataDir, durable: false }).catch(async (err: unknown) => {
      await removeDir();
      throw err;
    });
    onRelease(async () => {
      await server.stop();
      await removeDir();
    });
    return server.url;
  })();
  return embedded;
}

/** Creates a fresh, uniquely named database on the test server, so suites never see each other's data. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.RAWORC_DATABASE_URL || (await startEmbeddedForTests());
  const name = `raworc_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | undefined;
  const drop = () => (dropped ??= onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  // Best effort: a forgotten database must not keep the rest of the run's resources from being released.
  onRelease(() => drop().catch(() => undefined));
  return { url: url.toString(), drop };
}

/** Runs one statement through a short-lived connection to the server's own database. */
async function onServer(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
