import assert from "node:assert/strict";
import { create, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { BudgetsSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { ConversationEntry } from "../state/conversation-log.js";
import { defaultMaxModelCalls, recordedSessionUsage, TurnBudget } from "./budgets.js";

const none = { tokens: 0n, costUsd: 0 };

describe("budgets", () => {
  it("stops at each limit with its rule path", () => {
    const budget = new TurnBudget(
      create(BudgetsSchema, { maxTokensPerTurn: 100n, maxTokensPerSession: 1000n, maxToolCallsPerTurn: 2, maxModelCallsPerTurn: 3, maxCostUsdPerTurn: 0.5, maxTurnDuration: durationFromMs(1500) }),
      { tokens: 850n, costUsd: 0 },
    );
    assert.equal(budget.maxDurationMs, 1500);
    assert.equal(budget.beforeModelCall(3, none)?.rule, "guardrails.budgets.max_model_calls_per_turn");
    assert.equal(budget.beforeModelCall(1, none), undefined);
    assert.equal(budget.afterUsage({ tokens: 100n, costUsd: 0 }), undefined, "using exactly the turn's tokens is allowed");
    assert.equal(budget.afterUsage({ tokens: 101n, costUsd: 0 })?.rule, "guardrails.budgets.max_tokens_per_turn");
    assert.equal(budget.beforeModelCall(1, { tokens: 100n, costUsd: 0 })?.rule, "guardrails.budgets.max_tokens_per_turn", "nothing left for another call");
    assert.equal(budget.afterUsage({ tokens: 99n, costUsd: 0 }), undefined);
    const late = new TurnBudget(create(BudgetsSchema, { maxTokensPerSession: 1000n, maxCostUsdPerSession: 2 }), { tokens: 950n, costUsd: 1.9 });
    assert.equal(late.afterUsage({ tokens: 60n, costUsd: 0 })?.rule, "guardrails.budgets.max_tokens_per_session", "earlier turns count");
    assert.equal(late.afterUsage({ tokens: 10n, costUsd: 0.2 })?.rule, "guardrails.budgets.max_cost_usd_per_session");
    assert.equal(budget.afterUsage({ tokens: 1n, costUsd: 0.51 })?.rule, "guardrails.budgets.max_cost_usd_per_turn");
    assert.equal(budget.beforeToolCall(2)?.rule, "guardrails.budgets.max_tool_calls_per_turn");
    assert.equal(budget.beforeToolCall(1), undefined);
    assert.equal(new TurnBudget(undefined, none).beforeModelCall(defaultMaxModelCalls, none)?.rule, "guardrails.budgets.max_model_calls_per_turn", "the default bound is a budget too");
  });

  it("derives the session's usage from the closing events recorded in the conversation log", () => {
    const closing = (init: MessageInitShape<typeof SessionEventSchema>) => Buffer.from(toBinary(SessionEventSchema, create(SessionEventSchema, init))).toString("base64");
    const entries: ConversationEntry[] = [
      { kind: "user", turn: 1, messageId: "m1", text: "hi", targetAgent: "", at: "" },
      { kind: "ended", turn: 1, agent: "a", outcome: "completed", text: "", event: closing({ payload: { case: "turnCompleted", value: { usage: { inputTokens: 10n, outputTokens: 5n, costUsd: 0.25 } } } }), at: "" },
      { kind: "ended", turn: 2, agent: "a", outcome: "failed", text: "", event: closing({ payload: { case: "turnFailed", value: { reason: "X", usage: { inputTokens: 1n, outputTokens: 2n, costUsd: 0.5 } } } }), at: "" },
      { kind: "ended", turn: 3, agent: "a", outcome: "cancelled", text: "", at: "" },
    ];
    assert.deepEqual(recordedSessionUsage(entries), { tokens: 18n, costUsd: 0.75 });
  });
});
