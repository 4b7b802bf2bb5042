/**
 * The mapping between the Model port and OpenAI Chat Completions: the conversation and tools into
 * `messages` and `tools`, and streamed chunks back into port events. Tool-call deltas arrive
 * split across chunks (the first carries index, id and name; later ones only argument pieces),
 * so they are assembled by index and emitted, in index order, when the stream ends.
 */
import type OpenAI from "openai";
import type { ModelInputItem, ModelStreamEvent, ModelToolDefinition } from "./model.js";

type Message = OpenAI.Chat.ChatCompletionMessageParam;

/** The `messages` for a call: the instructions as a system message, then the conversation, tool runs grouped. */
export function toChatMessages(instructions: string, input: readonly ModelInputItem[]): Message[] {
  const messages: Message[] = instructions === "" ? [] : [{ role: "system", content: instructions }];
  for (const item of input) {
    const last = messages.at(-1);
    switch (item.type) {
      case "user":
        messages.push({ role: "user", content: item.text });
        break;
      case "assistant":
        messages.push({ role: "assistant", content: item.text });
        break;
      case "tool_call": {
        const opener = previousAssistant(messages);
        const call = { id: item.callId, type: "function" as const, function: { name: item.name, arguments: item.argumentsJson } };
        // Calls of one response share one assistant message (with its text, if any) before their results.
        if (last?.role === "assistant") last.tool_calls = [...(last.tool_calls ?? []), call];
        else if (last?.role === "tool" && opener) opener.tool_calls = [...(opener.tool_calls ?? []), call];
        else messages.push({ role: "assistant", content: null, tool_calls: [call] });
        break;
      }
      case "tool_result":
        messages.push({ role: "tool", tool_call_id: item.callId, content: item.isError ? `error: ${item.output}` : item.output });
        break;
    }
  }
  return messages;
}

/** The assistant message that opened the current run of tool results, if any. */
function previousAssistant(messages: Message[]): OpenAI.Chat.ChatCompletionAssistantMessageParam | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index];
    if (message?.role === "tool") continue;
    return message?.role === "assistant" && message.tool_calls ? message : undefined;
  }
  return undefined;
}

/** The `tools` for a call (undefined when none are offered, as the API refuses an empty list). */
export function toChatTools(tools: readonly ModelToolDefinition[]): OpenAI.Chat.ChatCompletionFunctionTool[] | undefined {
  if (tools.length === 0) return undefined;
  return tools.map((tool) => ({ type: "function", function: { name: tool.name, description: tool.description, parameters: tool.parameters } }));
}

/** The port's stop reason for an OpenAI finish_reason. */
export function stopReasonOf(finishReason: string | null | undefined): string {
  switch (finishReason) {
    case "stop":
    case null:
    case undefined:
      return "end_turn";
    case "tool_calls":
    case "function_call":
      return "tool_use";
    case "length":
      return "max_tokens";
    default:
      return finishReason;
  }
}

/** Turns a stream of chunks into port events: text as it comes, assembled tool calls and usage at the end, then done. */
export async function* fromChatChunks(chunks: AsyncIterable<OpenAI.Chat.ChatCompletionChunk>): AsyncGenerator<ModelStreamEvent> {
  const calls = new Map<number, { callId: string; name: string; argumentsJson: string }>();
  let finishReason: string | null | undefined;
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.content) yield { type: "text_delta", text: choice.delta.content };
    for (const delta of choice.delta.tool_calls ?? []) {
      const call = calls.get(delta.index) ?? { callId: "", name: "", argumentsJson: "" };
      if (delta.id) call.callId = delta.id;
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) call.argumentsJson += delta.function.arguments;
      calls.set(delta.index, call);
    }
    if (choice.finish_reason) finishReason = choice.finish_reason;
  }
  for (const [index, call] of [...calls.entries()].sort(([a], [b]) => a - b)) {
    yield { type: "tool_call", callId: call.callId || `call_${index}`, name: call.name, argumentsJson: call.argumentsJson || "{}" };
  }
  if (usage) {
    yield {
      type: "usage",
      usage: { inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, cachedInputTokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    };
  }
  yield { type: "done", stopReason: calls.size > 0 && finishReason !== "length" ? "tool_use" : stopReasonOf(finishReason) };
}
