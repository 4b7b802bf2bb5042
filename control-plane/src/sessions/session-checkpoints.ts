/**
 * A session's turn checkpoints as the control plane keeps them: which manifest (in the
 * session's volume) holds the workspace at the end of which turn. Daemons report them with
 * TurnCheckpoint; ListTurns shows them; RemixSession starts from them.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import type { TurnCheckpoint } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { SessionRow } from "../store/entities/session.js";

/** What a checkpoint id may look like (the daemon's are sha256 hex). */
const checkpointIdPattern = /^[A-Za-z0-9:._-]{1,128}$/;

/** Stores a daemon's TurnCheckpoint for a locked session (a resend replaces it with the same values); INVALID_ARGUMENT when it names a turn that has not ended. */
export async function storeCheckpoint(em: EntityManager, row: SessionRow, daemonSeq: bigint, checkpoint: TurnCheckpoint): Promise<void> {
  if (!checkpointIdPattern.test(checkpoint.checkpointId)) throw new ConnectError("a checkpoint id is 1 to 128 letters, digits or :._-", Code.InvalidArgument);
  if (checkpoint.turn < 1 || checkpoint.turn > row.turnCount) {
    throw new ConnectError(`checkpoint of turn ${checkpoint.turn}, but the session has ended ${row.turnCount} turns`, Code.InvalidArgument);
  }
  await em.execute(
    `insert into session_checkpoints (session_id, turn, checkpoint_id, file_count, total_bytes, stored_bytes, daemon_seq, created_at)
     values (?, ?, ?, ?, ?, ?, ?, now())
     on conflict (session_id, turn) do update set checkpoint_id = excluded.checkpoint_id, file_count = excluded.file_count,
       total_bytes = excluded.total_bytes, stored_bytes = excluded.stored_bytes, daemon_seq = excluded.daemon_seq, created_at = excluded.created_at`,
    [row.id, checkpoint.turn, checkpoint.checkpointId, checkpoint.fileCount.toString(), checkpoint.totalBytes.toString(), checkpoint.storedBytes.toString(), daemonSeq.toString()],
  );
}

/** The checkpoint ids of a session's turns from `first` to `last`, by turn. */
export async function checkpointIds(em: EntityManager, sessionId: string, first: number, last: number): Promise<Map<number, string>> {
  const rows = await em.execute<{ turn: number; checkpoint_id: string }[]>(
    `select turn, checkpoint_id from session_checkpoints where session_id = ? and turn between ? and ?`,
    [sessionId, first, last],
  );
  return new Map(rows.map((r) => [r.turn, r.checkpoint_id]));
}

/** The checkpoint id of one turn, if the session has one. */
export async function checkpointOf(em: EntityManager, sessionId: string, turn: number): Promise<string | undefined> {
  return (await checkpointIds(em, sessionId, turn, turn)).get(turn);
}

/** Gives a new remix its source's checkpoints up to `upToTurn`: their manifests come with the copied volume. */
export async function inheritCheckpoints(em: EntityManager, childId: string, sourceId: string, upToTurn: number): Promise<void> {
  await em.execute(
    `insert into session_checkpoints (session_id, turn, checkpoint_id, file_count, total_bytes, stored_bytes, daemon_seq, created_at)
     select ?, turn, checkpoint_id, file_count, total_bytes, stored_bytes, null, created_at from session_checkpoints
      where session_id = ? and turn <= ?`,
    [childId, sourceId, upToTurn],
  );
}
