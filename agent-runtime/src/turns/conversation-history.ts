/**
 * The conversation before a turn, as model input, rebuilt from the conversation log: for each
 * earlier turn that ended, the user's message, every tool call the model made with its recorded
 * result right after it (in log order), then the assistant's reply text. Both providers refuse a
 * tool call without its result, so a call a cancel or a crash left without one is given a
 * failed result saying so. The log keeps a turn's reply text whole, not per model call, so text
 * the model wrote between its tool calls is given back after them, in one assistant message.
 */
import type { ModelInputItem } from "../models/model.js";
import type { ConversationEntry, EndedEntry, ToolCallEntry, ToolResultEntry } from "../state/conversation-log.js";

/** What a tool call left without a recorded result is answered with in later turns. */
export function unansweredToolOutput(outcome: EndedEntry["outcome"]): string {
  return `the tool call did not finish: the turn ${outcome === "cancelled" ? "was cancelled" : "ended"} before it had a result`;
}

/** One earlier turn as the log tells it. */
interface TurnEntries {
  user?: string;
  ended?: EndedEntry;
  calls: ToolCallEntry[];
  results: Map<string, ToolResultEntry>;
}

/** The conversation before `turn`: each ended earlier turn's message, tool calls with their results, and reply. */
export function conversationHistory(entries: readonly ConversationEntry[], turn: number): ModelInputItem[] {
  const turns = new Map<number, TurnEntries>();
  for (const entry of entries) {
    if (entry.turn >= turn) continue;
    const record: TurnEntries = turns.get(entry.turn) ?? { calls: [], results: new Map() };
    turns.set(entry.turn, record);
    switch (entry.kind) {
      case "user":
        record.user = entry.text;
        break;
      case "ended":
        record.ended = entry;
        break;
      case "tool_call":
        // A call id is the call's idempotency key: one call, however often it was recorded.
        if (!record.calls.some((call) => call.callId === entry.callId)) record.calls.push(entry);
        break;
      case "tool_result":
        if (!record.results.has(entry.callId)) record.results.set(entry.callId, entry);
        break;
      default:
        break;
    }
  }
  const items: ModelInputItem[] = [];
  for (const [, record] of [...turns.entries()].sort(([a], [b]) => a - b)) {
    if (record.user === undefined || !record.ended) continue;
    items.push({ type: "user", text: record.user });
    for (const call of record.calls) {
      items.push({ type: "tool_call", callId: call.callId, name: call.name, argumentsJson: call.argumentsJson });
      const result = record.results.get(call.callId);
      items.push(
        result
          ? { type: "tool_result", callId: call.callId, output: result.output, isError: result.outcome !== "succeeded" }
          : { type: "tool_result", callId: call.callId, output: unansweredToolOutput(record.ended.outcome), isError: true },
      );
    }
    if (record.ended.text !== "") items.push({ type: "assistant", text: record.ended.text });
  }
  return items;
}
