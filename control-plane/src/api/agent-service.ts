/** AgentService: CRUD of agent specs, checked on write beyond protovalidate (see agent-spec-checks.ts). */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { AgentSchema, AgentSpecSchema, CreateAgentRequestSchema, type Agent, type AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { ObjectRef } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { kListScope } from "../context.js";
import { agentSpecOf, type AgentFields, type AgentStore } from "../store/agents.js";
import type { AgentRow } from "../store/entities/agent.js";
import { agentSpecViolations } from "./agent-spec-checks.js";
import { fieldViolationsError } from "./field-violations.js";
import { parseResourceVersion, requireNamed, toObjectMeta } from "./object-meta.js";

/** The API form of a stored agent. */
export function toAgent(row: AgentRow): Agent {
  return create(AgentSchema, { metadata: toObjectMeta(row), spec: agentSpecOf(row) });
}

function refOf(ref: ObjectRef | undefined): { namespace: string; name: string } {
  if (!ref) throw new ConnectError("ref is required", Code.InvalidArgument);
  return { namespace: ref.namespace, name: ref.name };
}

/** The fields to store from a create or update request's agent, after the checks protovalidate cannot make. */
function fieldsOf(agent: Agent): AgentFields {
  const spec = agent.spec ?? create(AgentSpecSchema);
  // CreateAgentRequest and UpdateAgentRequest both carry the agent in field 1, so one path fits both.
  const error = fieldViolationsError(CreateAgentRequestSchema, agentSpecViolations(spec, ["agent", "spec"]));
  if (error) throw error;
  return { spec, labels: { ...agent.metadata?.labels }, annotations: { ...agent.metadata?.annotations } };
}

/** Creates the AgentService implementation. */
export function createAgentService(agents: AgentStore): ServiceImpl<typeof AgentService> {
  return {
    async createAgent(req) {
      const agent = req.agent!;
      const meta = requireNamed(agent.metadata, "agent.metadata");
      return { agent: toAgent(await agents.create(meta, fieldsOf(agent))) };
    },
    async getAgent(req) {
      return { agent: toAgent(await agents.get(refOf(req.ref))) };
    },
    async listAgents(req, ctx) {
      const scope = ctx.values.get(kListScope);
      const page = await agents.list({
        namespace: req.namespace || undefined,
        namespaces: scope.all ? undefined : scope.namespaces,
        labelSelector: req.labelSelector,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      });
      return { agents: page.items.map(toAgent), nextPageToken: page.nextPageToken };
    },
    async updateAgent(req) {
      const agent = req.agent!;
      const meta = requireNamed(agent.metadata, "agent.metadata");
      return { agent: toAgent(await agents.update(meta, parseResourceVersion(meta.resourceVersion), fieldsOf(agent))) };
    },
    async deleteAgent(req) {
      await agents.delete(refOf(req.ref));
      return {};
    },
  };
}
