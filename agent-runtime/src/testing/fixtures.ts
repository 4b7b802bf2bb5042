/**
 * Test fixtures for the daemon's unit tests: a throw-away volume, a silent logger, and the
 * scripted agents the turn tests run.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import {
  AgentSchema,
  ModelProvider,
  ScriptedModelSchema,
  ScriptedStepSchema,
  ScriptedTurnSchema,
  type Agent,
  type ScriptedModel,
  type ScriptedStep,
} from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { ObjectMetaSchema } from "@raworc/proto/gen/raworc/v1/common_pb.js";
import { createLogger, type Logger } from "../logger.js";
import { ensureVolumeLayout, volumeLayout, type VolumeLayout } from "../state/layout.js";

/** A temporary workspace with the daemon's layout; `remove()` deletes it. */
export interface TempVolume extends VolumeLayout {
  remove(): Promise<void>;
}

/** Creates a temporary workspace with `.raworc/outbox/` in place. */
export async function tempVolume(): Promise<TempVolume> {
  const workspace = await mkdtemp(join(tmpdir(), "raworc-agent-test-"));
  const layout = volumeLayout(workspace);
  await ensureVolumeLayout(layout);
  return { ...layout, remove: () => rm(workspace, { recursive: true, force: true }) };
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return createLogger("silent", {}, { write: () => undefined });
}

/** Builders for scripted steps. */
export const step = {
  text: (value: string): ScriptedStep => create(ScriptedStepSchema, { step: { case: "text", value } }),
  delay: (ms: number): ScriptedStep => create(ScriptedStepSchema, { step: { case: "delay", value: durationFromMs(ms) } }),
  error: (value: string): ScriptedStep => create(ScriptedStepSchema, { step: { case: "error", value } }),
  usage: (inputTokens: number, outputTokens: number): ScriptedStep =>
    create(ScriptedStepSchema, { step: { case: "usage", value: { inputTokens: BigInt(inputTokens), outputTokens: BigInt(outputTokens) } } }),
  toolCall: (name: string, argumentsJson = "{}"): ScriptedStep => create(ScriptedStepSchema, { step: { case: "toolCall", value: { name, argumentsJson } } }),
};

/** A script from turns given as [match, steps]. */
export function script(...turns: [match: string, steps: ScriptedStep[]][]): ScriptedModel {
  return create(ScriptedModelSchema, { turns: turns.map(([match, steps]) => create(ScriptedTurnSchema, { match, steps })) });
}

/** A scripted agent named `name`. */
export function scriptedAgent(name: string, scripted: ScriptedModel, routingPatterns: string[] = []): Agent {
  return create(AgentSchema, {
    metadata: create(ObjectMetaSchema, { name, namespace: "test" }),
    spec: { instructions: `You are ${name}.`, model: { provider: ModelProvider.SCRIPTED, scripted }, routingPatterns },
  });
}
