/** The Agent kind: namespaced agent specs (model, tools, guardrails, routing) that sessions run. */
import { createClient } from "@connectrpc/connect";
import { AgentSchema, AgentService, ModelProviderSchema, type Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { enumShortName } from "../enums.js";
import { defineKind, type Connection } from "../kind.js";
import { returned } from "./returned.js";

const client = (conn: Connection) => createClient(AgentService, conn.transport);

/** Agents: `raworc agents` (alias `agent`); tables show the model and the tools. */
export const agentKind = defineKind<Agent>({
  kind: "Agent",
  singular: "agent",
  plural: "agents",
  aliases: ["agent"],
  namespaced: "required",
  schema: AgentSchema,
  columns: ["provider", "model", "tools", "description"],
  cells: (agent) => {
    const model = agent.spec?.model;
    return [
      model ? enumShortName(ModelProviderSchema, model.provider) : "",
      model?.name || "-",
      (agent.spec?.tools ?? []).map((t) => t.name).join(",") || "-",
      agent.spec?.description ?? "",
    ];
  },
  async create(conn, agent) {
    return returned((await client(conn).createAgent({ agent }, { signal: conn.signal })).agent, "agent");
  },
  async get(conn, ref) {
    return returned((await client(conn).getAgent({ ref }, { signal: conn.signal })).agent, "agent");
  },
  async list(conn, query) {
    const res = await client(conn).listAgents(query, { signal: conn.signal });
    return { items: res.agents, nextPageToken: res.nextPageToken };
  },
  async update(conn, agent) {
    return returned((await client(conn).updateAgent({ agent }, { signal: conn.signal })).agent, "agent");
  },
  async delete(conn, ref) {
    await client(conn).deleteAgent({ ref }, { signal: conn.signal });
    return undefined;
  },
});
