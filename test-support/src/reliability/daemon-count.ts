/**
 * The daemon's own count of the events it produced, and what the control plane stored of them.
 * The daemon numbers every outgoing event in its outbox (daemon seqs 1, 2, 3 … per volume) and
 * records the highest it assigned and the highest acknowledged in `.raworc/state.json`; the
 * control plane stores each with its daemon seq. Nothing was lost or doubled exactly when the
 * stored daemon seqs (events and checkpoints) are 1..lastDaemonSeq, each once, and all were acknowledged.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";

/** The daemon's durable counters for one session. */
export interface DaemonCount {
  /** Highest daemon seq written to the outbox. */
  readonly lastDaemonSeq: number;
  /** Highest daemon seq the control plane acknowledged. */
  readonly lastAckedDaemonSeq: number;
}

/** Reads a process-runtime session's `.raworc/state.json`. */
export async function daemonCount(dataDir: string, sessionId: string): Promise<DaemonCount> {
  const file = join(dataDir, "sessions", sessionId, "workspace", ".raworc", "state.json");
  const state = JSON.parse(await readFile(file, "utf8")) as { lastDaemonSeq: string; lastAckedDaemonSeq: string };
  return { lastDaemonSeq: Number(state.lastDaemonSeq), lastAckedDaemonSeq: Number(state.lastAckedDaemonSeq) };
}

/**
 * The daemon seqs stored for each session, read straight from the database: events and turn
 * checkpoints share the daemon's seq space, so both count (a duplicate shows up twice).
 */
export async function storedDaemonSeqs(databaseUrl: string, sessionIds: readonly string[]): Promise<Map<string, number[]>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ session_id: string; daemon_seq: string }>(
      `select session_id, daemon_seq from (
         select session_id, daemon_seq from session_events where session_id = any($1) and daemon_seq is not null
         union all
         select session_id, daemon_seq from session_checkpoints where session_id = any($1) and daemon_seq is not null
       ) stored order by session_id, daemon_seq`,
      [sessionIds],
    );
    const bySession = new Map<string, number[]>(sessionIds.map((id) => [id, []]));
    for (const row of rows) bySession.get(row.session_id)?.push(Number(row.daemon_seq));
    return bySession;
  } finally {
    await client.end();
  }
}
