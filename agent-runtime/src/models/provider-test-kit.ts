/**
 * Shared pieces of the provider adapter tests: a spec, a factory whose logger is captured, and
 * helpers to run a call to the end.
 */
import { create } from "@bufbuild/protobuf";
import { ModelApi, ModelSpecSchema, type ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { createLogger } from "../logger.js";
import { createModelFactory } from "./create-model.js";
import type { Model, ModelInputItem, ModelStreamEvent, ModelToolDefinition } from "./model.js";

/** The key planted in the test secret; it must reach the fake server and no log line. */
export const canaryKey = "sk-canary-7f3e9a1c5b";

/** A model for `provider` at `baseUrl` (through `api`) whose key is in secret llm/api-key, and the log lines it wrote. */
export function testModel(provider: ModelProvider, baseUrl: string, maxRetries = 3, api = ModelApi.UNSPECIFIED): { model: Model; logs: string[] } {
  const logs: string[] = [];
  const log = createLogger("trace", {}, { write: (line: string) => void logs.push(line) });
  const factory = createModelFactory({
    log,
    secret: (name, key) => (name === "llm" && key === "api-key" ? canaryKey : undefined),
    retry: { maxRetries, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 60_000 },
  });
  const spec = create(ModelSpecSchema, { provider, api, name: "fake-model", baseUrl, apiKey: { secret: "llm", key: "api-key" }, parameters: { temperature: 0.2 } });
  return { model: factory(spec), logs };
}

/** A tool offered in the tests. */
export const shellTool: ModelToolDefinition = {
  name: "shell",
  description: "Runs a command",
  parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
};

/** Runs one call to the end and returns its events. */
export async function collect(model: Model, input: ModelInputItem[], signal = new AbortController().signal, tools = [shellTool]): Promise<ModelStreamEvent[]> {
  const events: ModelStreamEvent[] = [];
  for await (const event of model.stream({ instructions: "Be brief.", input, tools, turn: 1, signal })) events.push(event);
  return events;
}

/** The text of a call's events. */
export const textOf = (events: ModelStreamEvent[]): string => events.flatMap((event) => (event.type === "text_delta" ? [event.text] : [])).join("");
