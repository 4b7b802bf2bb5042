/**
 * The Model port (CONVENTIONS 7, after openai-agents-js `model.ts`): one small streaming
 * interface that every provider adapter implements — scripted now; OpenAI, OpenAI-compatible and
 * Anthropic later. A call takes the conversation so far and an AbortSignal and yields text
 * chunks, tool calls and usage as they arrive, then one `done`. Provider failures are thrown as
 * ModelError; an aborted call rejects with the signal's reason.
 */

/** One item of the conversation as a model sees it. */
export type ModelInputItem =
  | { readonly type: "user"; readonly text: string }
  | { readonly type: "assistant"; readonly text: string }
  | { readonly type: "tool_call"; readonly callId: string; readonly name: string; readonly argumentsJson: string }
  | { readonly type: "tool_result"; readonly callId: string; readonly output: string; readonly isError: boolean };

/** A tool the model may call, as offered to it. */
export interface ModelToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Record<string, unknown>;
}

/** One model call. */
export interface ModelRequest {
  /** The agent's instructions (system prompt). */
  readonly instructions: string;
  /** Earlier turns, then this turn's user message and any tool calls and results since. */
  readonly input: readonly ModelInputItem[];
  /** The tools offered. */
  readonly tools: readonly ModelToolDefinition[];
  /** The session's turn number, from 1. */
  readonly turn: number;
  /** Aborts the call (turn cancelled, daemon stopping). */
  readonly signal: AbortSignal;
}

/** Token counts of one call. */
export interface ModelUsageReport {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  /** Cost in US dollars, when the spec has pricing (see pricing.ts). */
  readonly costUsd?: number;
}

/** What a model call yields, in order. */
export type ModelStreamEvent =
  | { readonly type: "text_delta"; readonly text: string }
  | { readonly type: "tool_call"; readonly callId: string; readonly name: string; readonly argumentsJson: string }
  | { readonly type: "usage"; readonly usage: ModelUsageReport }
  | { readonly type: "done"; readonly stopReason: string };

/** A model the daemon can call. */
export interface Model {
  /** The model's name in usage reports ("scripted" for the scripted provider). */
  readonly name: string;
  /** Streams one call's output; rejects with ModelError on a provider failure, with the abort reason when cancelled. */
  stream(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
}

/** The text of the conversation's latest user message ("" when there is none). */
export function latestUserText(input: readonly ModelInputItem[]): string {
  for (let index = input.length - 1; index >= 0; index--) {
    const item = input[index];
    if (item?.type === "user") return item.text;
  }
  return "";
}

/** How many tool calls the model made since the latest user message (this turn's earlier calls). */
export function toolCallsThisTurn(input: readonly ModelInputItem[]): number {
  let count = 0;
  for (let index = input.length - 1; index >= 0; index--) {
    const item = input[index];
    if (item?.type === "user") break;
    if (item?.type === "tool_call") count++;
  }
  return count;
}
