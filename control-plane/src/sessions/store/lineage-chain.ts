/** A session's ancestry: the session, its remix source, that one's source, and so on. */
import type { EntityManager } from "@mikro-orm/postgresql";

/** One session of a lineage chain. */
export interface LineageLink {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** The turn of its source it was remixed at; 0 for a session created directly. */
  readonly parentTurn: number;
}

/**
 * The session `sessionId` first, then each remix source up the chain, in one query. The chain
 * ends at a session created directly, or at a source no longer stored (a namespace deleted
 * with its sessions).
 */
export async function readLineageChain(em: EntityManager, sessionId: string): Promise<LineageLink[]> {
  const rows = await em.execute<{ id: string; namespace: string; name: string; parent_turn: number | null }[]>(
    `with recursive chain as (
       select id, namespace, name, parent_id, parent_turn, 0 as depth from sessions where id = ?
       union all
       select s.id, s.namespace, s.name, s.parent_id, s.parent_turn, chain.depth + 1 from sessions s join chain on s.id = chain.parent_id
     )
     select id::text as id, namespace, name, parent_turn from chain order by depth`,
    [sessionId],
  );
  return rows.map((r) => ({ id: r.id, namespace: r.namespace, name: r.name, parentTurn: r.parent_turn ?? 0 }));
}
