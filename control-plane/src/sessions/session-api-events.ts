/**
 * Pages of a session's event log bounded by count and by size, so one response or one batch
 * of a watch never holds more than a known amount of memory, however large the events are.
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** Bounds of one page. */
export interface EventPageOptions {
  /** Most events. */
  readonly limit: number;
  /** Most bytes of stored events; a page always holds at least one event. */
  readonly maxBytes: number;
  /** Only events of this turn. */
  readonly turn?: number;
}

/** One page of events, and whether more follow it. */
export interface EventPage {
  readonly events: SessionEvent[];
  readonly hasMore: boolean;
}

/** Reads the events with seq > afterSeq, oldest first, within the page's bounds. */
export async function readEventPage(em: EntityManager, sessionId: string, afterSeq: bigint, options: EventPageOptions): Promise<EventPage> {
  const turnSql = options.turn === undefined ? "" : " and turn = ?";
  const turnParams = options.turn === undefined ? [] : [options.turn];
  // Sizes first (octet_length reads a stored value's length without fetching it), then only the
  // payloads that fit.
  const sizes = await em.execute<{ seq: string; size: number }[]>(
    `select seq, octet_length(payload) as size from session_events where session_id = ? and seq > ?${turnSql} order by seq limit ?`,
    [sessionId, afterSeq.toString(), ...turnParams, options.limit + 1],
  );
  let bytes = 0;
  let count = 0;
  for (const row of sizes.slice(0, options.limit)) {
    bytes += Number(row.size);
    if (count > 0 && bytes > options.maxBytes) break;
    count++;
  }
  if (count === 0) return { events: [], hasMore: false };
  const lastSeq = sizes[count - 1]!.seq;
  const rows = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and seq > ? and seq <= ?${turnSql} order by seq`,
    [sessionId, afterSeq.toString(), lastSeq, ...turnParams],
  );
  return { events: rows.map((r) => fromBinary(SessionEventSchema, r.payload)), hasMore: count < sizes.length };
}
