/**
 * Budgets (guardrails.budgets): hard limits on tokens, cost, tool calls and model calls per turn
 * and per session. A limit reached is a stop naming its rule; the turn fails with reason
 * BudgetExceeded. Per-session totals start from what the conversation log records of earlier
 * turns (the usage of each closing event), so they survive a daemon restart.
 */
import { fromBinary } from "@bufbuild/protobuf";
import type { Budgets } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema, type Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { ConversationEntry } from "../state/conversation-log.js";

/** The TurnFailed reason of a turn stopped by a budget. */
export const budgetExceededReason = "BudgetExceeded";

/** Model calls one turn may make when the spec does not say (agent.proto). */
export const defaultMaxModelCalls = 50;

/** Tokens and cost used. */
export interface UsageTotals {
  readonly tokens: bigint;
  readonly costUsd: number;
}

/** A budget reached: its rule path and why. */
export interface BudgetStop {
  readonly rule: string;
  readonly reason: string;
}

/** The usage of every turn the log records as ended, read from their closing events. */
export function recordedSessionUsage(entries: readonly ConversationEntry[]): UsageTotals {
  let tokens = 0n;
  let costUsd = 0;
  for (const entry of entries) {
    if (entry.kind !== "ended" || !entry.event) continue;
    const payload = fromBinary(SessionEventSchema, Buffer.from(entry.event, "base64")).payload;
    const usage: Usage | undefined =
      payload.case === "turnCompleted" || payload.case === "turnFailed" || payload.case === "turnCancelled" ? payload.value.usage : undefined;
    if (!usage) continue;
    tokens += usage.inputTokens + usage.outputTokens;
    costUsd += usage.costUsd;
  }
  return { tokens, costUsd };
}

/** The budgets of one turn, given what the session used before it. */
export class TurnBudget {
  constructor(
    private readonly budgets: Budgets | undefined,
    private readonly session: UsageTotals,
  ) {}

  /** The turn's wall-time limit in ms, if any. */
  get maxDurationMs(): number | undefined {
    const limit = this.budgets?.maxTurnDuration;
    return limit ? Number(limit.seconds) * 1000 + Math.floor(limit.nanos / 1e6) : undefined;
  }

  /** Checked before each model call, with the calls and usage so far in this turn. */
  beforeModelCall(modelCalls: number, turn: UsageTotals): BudgetStop | undefined {
    const maxCalls = this.budgets?.maxModelCallsPerTurn ?? defaultMaxModelCalls;
    if (modelCalls >= maxCalls) {
      return { rule: "guardrails.budgets.max_model_calls_per_turn", reason: `the turn made ${modelCalls} model calls, the most allowed` };
    }
    return this.exhausted(turn, true);
  }

  /** Checked after each usage report, with the turn's usage so far. */
  afterUsage(turn: UsageTotals): BudgetStop | undefined {
    return this.exhausted(turn, false);
  }

  /** Checked before each tool call runs, with the calls this turn already ran. */
  beforeToolCall(toolCalls: number): BudgetStop | undefined {
    const max = this.budgets?.maxToolCallsPerTurn;
    if (max !== undefined && toolCalls >= max) {
      return { rule: "guardrails.budgets.max_tool_calls_per_turn", reason: `the turn already ran ${toolCalls} tool calls, the most allowed` };
    }
    return undefined;
  }

  /** The stop for wall time. */
  durationStop(): BudgetStop {
    return { rule: "guardrails.budgets.max_turn_duration", reason: `the turn ran longer than ${this.maxDurationMs ?? 0} ms` };
  }

  /** A token or cost limit used up (`full`: nothing left for another call) or passed. */
  private exhausted(turn: UsageTotals, full: boolean): BudgetStop | undefined {
    const over = (used: bigint | number, max: bigint | number | undefined) => max !== undefined && (full ? used >= max : used > max);
    const b = this.budgets;
    const sessionTokens = this.session.tokens + turn.tokens;
    const sessionCost = this.session.costUsd + turn.costUsd;
    if (over(turn.tokens, b?.maxTokensPerTurn)) return { rule: "guardrails.budgets.max_tokens_per_turn", reason: `the turn used ${turn.tokens} tokens of ${b?.maxTokensPerTurn}` };
    if (over(sessionTokens, b?.maxTokensPerSession)) return { rule: "guardrails.budgets.max_tokens_per_session", reason: `the session used ${sessionTokens} tokens of ${b?.maxTokensPerSession}` };
    if (over(turn.costUsd, b?.maxCostUsdPerTurn)) return { rule: "guardrails.budgets.max_cost_usd_per_turn", reason: `the turn cost $${turn.costUsd.toFixed(6)} of $${b?.maxCostUsdPerTurn}` };
    if (over(sessionCost, b?.maxCostUsdPerSession)) return { rule: "guardrails.budgets.max_cost_usd_per_session", reason: `the session cost $${sessionCost.toFixed(6)} of $${b?.maxCostUsdPerSession}` };
    return undefined;
  }
}
