/**
 * A session's usage so far (SessionStatus.usage): the sum of the usage its daemon reported on
 * each stored turn end (TurnCompleted, TurnFailed, TurnCancelled). Derived from the event log,
 * like the turn history, so it can never disagree with what ListTurns shows.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SessionEventSchema, UsageSchema, type Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";

/** The summed usage of each session in `ids` that has an ended turn. */
export async function sessionUsage(em: EntityManager, ids: readonly string[]): Promise<Map<string, Usage>> {
  const out = new Map<string, Usage>();
  if (ids.length === 0) return out;
  const rows = await em.execute<{ session_id: string; payload: Buffer }[]>(
    `select session_id, payload from session_events
      where session_id in (${ids.map(() => "?").join(", ")}) and kind in ('turnCompleted', 'turnFailed', 'turnCancelled')`,
    [...ids],
  );
  for (const row of rows) {
    const p = fromBinary(SessionEventSchema, row.payload).payload;
    if (p.case !== "turnCompleted" && p.case !== "turnFailed" && p.case !== "turnCancelled") continue;
    const usage = p.value.usage;
    if (!usage) continue;
    const total = out.get(row.session_id) ?? create(UsageSchema);
    total.inputTokens += usage.inputTokens;
    total.outputTokens += usage.outputTokens;
    total.cachedInputTokens += usage.cachedInputTokens;
    total.costUsd += usage.costUsd;
    out.set(row.session_id, total);
  }
  return out;
}
