/**
 * Cost of model calls from the agent's ModelSpec.pricing (US dollars per million tokens):
 * uncached input at the input price, cached input at the cached price (the input price when the
 * spec sets none), output at the output price. A model whose spec has pricing reports each call's
 * cost with its usage; one without reports none (cost 0 in events).
 */
import type { ModelPricing } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { Model, ModelUsageReport } from "./model.js";

/** The cost in US dollars of one call's `usage` at `pricing`. */
export function costUsd(usage: ModelUsageReport, pricing: ModelPricing): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const cachedPrice = pricing.cachedInputUsdPerMillionTokens ?? pricing.inputUsdPerMillionTokens;
  return (
    ((usage.inputTokens - cached) * pricing.inputUsdPerMillionTokens + cached * cachedPrice + usage.outputTokens * pricing.outputUsdPerMillionTokens) / 1_000_000
  );
}

/** `model` with each usage report priced at `pricing`. */
export function withPricing(model: Model, pricing: ModelPricing): Model {
  return {
    name: model.name,
    async *stream(request) {
      for await (const event of model.stream(request)) {
        yield event.type === "usage" ? { type: "usage", usage: { ...event.usage, costUsd: costUsd(event.usage, pricing) } } : event;
      }
    },
  };
}
