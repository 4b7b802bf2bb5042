import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { ModelPricingSchema, ModelProvider, ModelSpecSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { createLogger } from "../logger.js";
import { step } from "../testing/fixtures.js";
import { createModelFactory } from "./create-model.js";
import type { ModelStreamEvent } from "./model.js";
import { costUsd } from "./pricing.js";

describe("model pricing", () => {
  const pricing = create(ModelPricingSchema, { inputUsdPerMillionTokens: 2, outputUsdPerMillionTokens: 8, cachedInputUsdPerMillionTokens: 0.5 });

  it("prices uncached input, cached input and output at their own rates", () => {
    // 600k uncached × $2 + 400k cached × $0.5 + 100k output × $8 = 1.2 + 0.2 + 0.8
    assert.equal(costUsd({ inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 100_000 }, pricing), 2.2);
    const noCachedPrice = create(ModelPricingSchema, { inputUsdPerMillionTokens: 2, outputUsdPerMillionTokens: 8 });
    assert.equal(costUsd({ inputTokens: 1_000_000, cachedInputTokens: 400_000, outputTokens: 0 }, noCachedPrice), 2);
  });

  it("adds the cost to the usage a model with pricing reports, and none without pricing", async () => {
    const factory = createModelFactory({ log: createLogger("silent", {}), secret: () => undefined });
    const scripted = { turns: [{ steps: [step.text("hi"), step.usage(500_000, 250_000)] }] };
    const run = async (withPricing: boolean): Promise<ModelStreamEvent[]> => {
      const spec = create(ModelSpecSchema, { provider: ModelProvider.SCRIPTED, name: "s", scripted, ...(withPricing ? { pricing } : {}) });
      const events: ModelStreamEvent[] = [];
      for await (const event of factory(spec).stream({ instructions: "", input: [{ type: "user", text: "x" }], tools: [], turn: 1, signal: new AbortController().signal })) events.push(event);
      return events;
    };
    const priced = (await run(true)).find((event) => event.type === "usage");
    assert.deepEqual(priced, { type: "usage", usage: { inputTokens: 500_000, outputTokens: 250_000, cachedInputTokens: 0, costUsd: 3 } });
    const unpriced = (await run(false)).find((event) => event.type === "usage");
    assert.equal(unpriced?.type === "usage" && unpriced.usage.costUsd, undefined);
  });
});
