/**
 * Builds the Welcome a daemon gets on every attach: the session's agents as stored now and the
 * secret keys they reference. What is missing fails the session with a reason the user can act on.
 */
import { create, fromJson, type JsonValue } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { AgentSchema, type Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SecretValuesSchema, WelcomeSchema, type SecretValues, type Welcome } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { SessionSpecSchema } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { toObjectMeta } from "../../api/object-meta.js";
import type { AgentStore } from "../../store/agents.js";
import { agentSpecOf } from "../../store/agents.js";
import type { SessionRow } from "../../store/entities/session.js";
import type { SecretStore } from "../../store/secrets.js";
import type { AttachOptions } from "./options.js";
import { secretKeyRefs } from "./secret-refs.js";

/** A reason to refuse the attach that is the session's fault, not the daemon's: the session goes FAILED with it. */
export class SessionConfigError extends Error {
  constructor(
    /** A CamelCase reason, e.g. AgentNotFound. */
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "SessionConfigError";
  }
}

/** Where the Welcome's contents come from. */
export interface WelcomeSources {
  readonly agents: Pick<AgentStore, "find">;
  readonly secrets: Pick<SecretStore, "readData">;
}

async function loadAgents(sources: WelcomeSources, row: SessionRow): Promise<Agent[]> {
  const spec = fromJson(SessionSpecSchema, row.spec as JsonValue, { ignoreUnknownFields: true });
  const agents: Agent[] = [];
  for (const name of spec.agents) {
    const agent = await sources.agents.find({ namespace: row.namespace, name });
    if (!agent) throw new SessionConfigError("AgentNotFound", `agent "${name}" does not exist in namespace "${row.namespace}"`);
    agents.push(create(AgentSchema, { metadata: toObjectMeta(agent), spec: agentSpecOf(agent) }));
  }
  return agents;
}

async function loadSecrets(sources: WelcomeSources, namespace: string, agents: readonly Agent[]): Promise<Record<string, SecretValues>> {
  const secrets: Record<string, SecretValues> = {};
  for (const [name, keys] of secretKeyRefs(agents.flatMap((a) => (a.spec ? [a.spec] : [])))) {
    let data: Record<string, string>;
    try {
      data = await sources.secrets.readData({ namespace, name });
    } catch (error) {
      if (error instanceof ConnectError && error.code === Code.NotFound) {
        throw new SessionConfigError("SecretNotFound", `secret "${name}" referenced by the session's agents does not exist in namespace "${namespace}"`);
      }
      throw error;
    }
    const picked: Record<string, string> = {};
    for (const key of keys) {
      const value = data[key];
      if (value === undefined) throw new SessionConfigError("SecretNotFound", `secret "${namespace}/${name}" has no key "${key}"`);
      picked[key] = value;
    }
    secrets[name] = create(SecretValuesSchema, { data: picked });
  }
  return secrets;
}

/** Builds the Welcome for a session; SessionConfigError when an agent, secret or key it needs is missing. */
export async function buildWelcome(sources: WelcomeSources, row: SessionRow, options: AttachOptions): Promise<Welcome> {
  const agents = await loadAgents(sources, row);
  return create(WelcomeSchema, {
    sessionId: row.id,
    session: { namespace: row.namespace, name: row.name },
    agents,
    secrets: await loadSecrets(sources, row.namespace, agents),
    resendFrom: BigInt(row.lastDaemonSeq) + 1n,
    heartbeatInterval: durationFromMs(options.heartbeatIntervalMs),
    heartbeatTimeout: durationFromMs(options.heartbeatTimeoutMs),
    serverVersion: options.serverVersion,
    // A remix: the daemon materialises the files of the turn recorded at remix time from its
    // checkpoint and keeps the copied conversation up to that turn (the source may have ended
    // more turns before the copy); it records the restore, so a repeated Welcome changes nothing.
    restore:
      row.parentId && row.parentTurn !== null && row.parentTurn !== undefined
        ? { parentSessionId: row.parentId, turn: row.parentTurn, checkpointId: row.parentCheckpointId ?? "" }
        : undefined,
  });
}
