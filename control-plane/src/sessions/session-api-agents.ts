/** The check that a session's agents exist in its namespace, with an error that says what is missing. */
import { Code, ConnectError } from "@connectrpc/connect";
import { notFound } from "../errors.js";
import type { AgentStore } from "../store/agents.js";
import type { Orm } from "../store/orm.js";

/**
 * Throws NOT_FOUND naming the first agent of `names` that does not exist in `namespace` (an
 * agent of the same name in another namespace does not count), or FAILED_PRECONDITION when the
 * namespace itself does not exist or is being deleted.
 */
export async function requireAgents(orm: Orm, agents: AgentStore, namespace: string, names: readonly string[]): Promise<void> {
  const found = await Promise.all(names.map((name) => agents.find({ namespace, name })));
  const missing = names.find((_, i) => !found[i]);
  if (missing === undefined) return;
  const [ns] = await orm.em.fork().execute<{ phase: string }[]>(`select phase from namespaces where name = ?`, [namespace]);
  if (!ns) throw new ConnectError(`namespace "${namespace}" does not exist`, Code.FailedPrecondition);
  if (ns.phase !== "active") throw new ConnectError(`namespace "${namespace}" is terminating`, Code.FailedPrecondition);
  throw notFound("Agent", namespace, missing);
}
