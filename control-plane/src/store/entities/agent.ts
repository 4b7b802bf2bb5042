/** The `agents` table: namespaced agent specifications, the spec stored as the API's protobuf JSON. */
import type { JsonObject } from "@bufbuild/protobuf";
import { defineEntity, p, type InferEntity } from "@mikro-orm/postgresql";

/** MikroORM schema of an agent row. */
export const AgentSchema = defineEntity({
  name: "Agent",
  tableName: "agents",
  uniques: [{ properties: ["namespace", "name"] }],
  properties: {
    id: p.uuid().primary(),
    namespace: p.string().length(63),
    name: p.string().length(63),
    /** raworc.v1.AgentSpec in protobuf JSON (toJson), so the API's own reader turns it back into a message. */
    spec: p.json<JsonObject>(),
    labels: p.json<Record<string, string>>(),
    annotations: p.json<Record<string, string>>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    version: p.integer().version(),
  },
});

/** An agent row. */
export type AgentRow = InferEntity<typeof AgentSchema>;
