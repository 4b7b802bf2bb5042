/** Which secrets, and which of their keys, a set of agent specs references. */
import { isMessage } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { AgentSpecSchema, SecretKeyRefSchema, type AgentSpec } from "@raworc/proto/gen/raworc/v1/agent_pb.js";

/** Referenced keys by secret name (secrets live in the agents' namespace). */
export type SecretKeyRefs = Map<string, Set<string>>;

// Walks every set message field, so a SecretKeyRef added anywhere in AgentSpec later is found too.
function collect(message: ReflectMessage, out: SecretKeyRefs): void {
  if (isMessage(message.message, SecretKeyRefSchema)) {
    const { secret, key } = message.message;
    if (secret && key) out.set(secret, (out.get(secret) ?? new Set()).add(key));
    return;
  }
  for (const field of message.fields) {
    if (!message.isSet(field)) continue;
    if (field.fieldKind === "message") collect(message.get(field), out);
    else if (field.fieldKind === "list" && field.listKind === "message") for (const item of message.get(field)) collect(item as ReflectMessage, out);
    else if (field.fieldKind === "map" && field.mapKind === "message") for (const [, value] of message.get(field)) collect(value as ReflectMessage, out);
  }
}

/** The secret keys the given specs reference, e.g. a model's api_key, env values and MCP headers. */
export function secretKeyRefs(specs: readonly AgentSpec[]): SecretKeyRefs {
  const out: SecretKeyRefs = new Map();
  for (const spec of specs) collect(reflect(AgentSpecSchema, spec), out);
  return out;
}
