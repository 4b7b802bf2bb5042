/** Reads and writes agents; a spec is stored as the API's protobuf JSON and read back into an AgentSpec. */
import { fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { LockMode, UniqueConstraintViolationException } from "@mikro-orm/postgresql";
import { AgentSpecSchema, type AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { notFound } from "../errors.js";
import { AgentSchema, type AgentRow } from "./entities/agent.js";
import { lockActiveNamespace } from "./namespaces.js";
import { filterNamespaced, namespacedPage, type ListQuery } from "./namespaced-list.js";
import type { Orm } from "./orm.js";
import type { NamespacedRef } from "./roles.js";

/** Fields a caller may set on an agent. */
export interface AgentFields {
  readonly spec: AgentSpec;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

/** The spec of a stored agent as a message. */
export function agentSpecOf(row: AgentRow): AgentSpec {
  return fromJson(AgentSpecSchema, row.spec);
}

function columnsOf(fields: AgentFields): { spec: JsonObject; labels: Record<string, string>; annotations: Record<string, string> } {
  return { spec: toJson(AgentSpecSchema, fields.spec) as JsonObject, labels: fields.labels, annotations: fields.annotations };
}

/** Agent persistence over MikroORM; each call uses its own EntityManager fork. */
export class AgentStore {
  constructor(private readonly orm: Orm) {}

  /** Creates an agent in an existing, active namespace (FAILED_PRECONDITION otherwise); ALREADY_EXISTS when the name is taken there. */
  async create(ref: NamespacedRef, fields: AgentFields): Promise<AgentRow> {
    try {
      return await this.orm.em.fork().transactional(async (em) => {
        await lockActiveNamespace(em, ref.namespace);
        const row = em.create(AgentSchema, { id: crypto.randomUUID(), namespace: ref.namespace, name: ref.name, ...columnsOf(fields) });
        await em.flush();
        return row;
      });
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        throw new ConnectError(`Agent "${ref.namespace}/${ref.name}" already exists`, Code.AlreadyExists);
      }
      throw error;
    }
  }

  /** Finds an agent, or null. */
  async find(ref: NamespacedRef): Promise<AgentRow | null> {
    return this.orm.em.fork().findOne(AgentSchema, { namespace: ref.namespace, name: ref.name });
  }

  /** Gets an agent or throws NOT_FOUND. */
  async get(ref: NamespacedRef): Promise<AgentRow> {
    const row = await this.find(ref);
    if (!row) throw notFound("Agent", ref.namespace, ref.name);
    return row;
  }

  /** Lists agents ordered by (namespace, name), one page at a time. */
  async list(query: ListQuery): Promise<{ items: AgentRow[]; nextPageToken: string }> {
    const qb = this.orm.em.fork().createQueryBuilder(AgentSchema);
    const limit = filterNamespaced(qb, query);
    return namespacedPage(await qb.orderBy({ namespace: "asc", name: "asc" }).limit(limit).getResult(), limit);
  }

  /** Replaces spec, labels and annotations; ABORTED when expectedVersion is stale, NOT_FOUND when the agent does not exist. */
  async update(ref: NamespacedRef, expectedVersion: number | undefined, fields: AgentFields): Promise<AgentRow> {
    const em = this.orm.em.fork();
    const row = await em.findOne(AgentSchema, { namespace: ref.namespace, name: ref.name });
    if (!row) throw notFound("Agent", ref.namespace, ref.name);
    if (expectedVersion !== undefined) await em.lock(row, LockMode.OPTIMISTIC, expectedVersion);
    Object.assign(row, columnsOf(fields));
    // The version column makes this flush conditional: a concurrent writer makes it ABORTED.
    await em.flush();
    return row;
  }

  /** Deletes an agent; NOT_FOUND when it does not exist. */
  async delete(ref: NamespacedRef): Promise<void> {
    const deleted = await this.orm.em.fork().nativeDelete(AgentSchema, { namespace: ref.namespace, name: ref.name });
    if (deleted === 0) throw notFound("Agent", ref.namespace, ref.name);
  }
}
