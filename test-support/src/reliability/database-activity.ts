/**
 * What a database sees of its clients, for the load suite's report: transactions committed or
 * rolled back (each query outside an explicit transaction is one) and connections open, read
 * from PostgreSQL's statistics views over a connection of its own.
 */
import pg from "pg";

/** One reading of the database's activity. */
export interface ActivitySample {
  /** xact_commit + xact_rollback of the database so far (flushed by backends about once a second). */
  readonly transactions: number;
  /** Connections to the database, this probe's own excluded. */
  readonly connections: number;
  /** Of those, the ones running a query right now. */
  readonly active: number;
}

/** A probe of one database's activity; close() when done. */
export class DatabaseActivity {
  private constructor(private readonly client: pg.Client) {}

  /** Connects to the database at `url`. */
  static async open(url: string): Promise<DatabaseActivity> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new DatabaseActivity(client);
  }

  /** Reads the counters now. */
  async sample(): Promise<ActivitySample> {
    const { rows } = await this.client.query<{ transactions: string; connections: string; active: string }>(
      `select (select xact_commit + xact_rollback from pg_stat_database where datname = current_database()) as transactions,
              count(*) as connections, count(*) filter (where state = 'active') as active
         from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
    );
    const row = rows[0];
    return { transactions: Number(row?.transactions ?? 0), connections: Number(row?.connections ?? 0), active: Number(row?.active ?? 0) };
  }

  /** Closes the probe's connection. */
  async close(): Promise<void> {
    await this.client.end();
  }
}
