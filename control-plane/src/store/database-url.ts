/** PostgreSQL URLs as operators see them: passwords masked, reachability checked with a one-line answer. */
import pg from "pg";

/** Returns the URL with its password (in the user part or a `password` parameter) replaced by `***`, for logs and errors. */
export function maskDatabaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL we can parse, but it may still carry "user:password@".
    return url.replace(/\/\/([^/@:]*):[^@]*@/, "//$1:***@");
  }
  if (parsed.password) parsed.password = "***";
  if (parsed.searchParams.has("password")) parsed.searchParams.set("password", "***");
  return parsed.toString().replaceAll("%2A%2A%2A", "***");
}

/** Connects once and runs a query; throws a one-line error naming the masked URL and the reason if that fails within timeoutMs. */
export async function checkDatabaseReachable(url: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A connection that fails after connect() has settled is reported here rather than crashing the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (err) {
    throw new Error(`cannot reach PostgreSQL at ${maskDatabaseUrl(url)}: ${reason(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The cause in one line; connecting to a name with several addresses fails with an AggregateError whose own message is empty. */
function reason(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return [...new Set(err.errors.map(reason))].join("; ");
  const text = err instanceof Error ? err.message || (err as NodeJS.ErrnoException).code || err.name : String(err);
  return text.replace(/\s*\n\s*/g, " ");
}
