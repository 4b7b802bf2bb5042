/**
 * The mapping between the Model port and Anthropic's Messages API: the conversation into
 * alternating user/assistant messages (text and tool_use blocks in the assistant's message,
 * tool_result blocks in the next user message), tools with `input_schema`, and stream events back
 * into port events. A tool_use block's input arrives as input_json_delta pieces and is emitted
 * whole when its content_block_stop arrives.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { ModelInputItem, ModelStreamEvent, ModelToolDefinition, ModelUsageReport } from "./model.js";

type Block = Anthropic.Messages.ContentBlockParam;

/** The `messages` for a call, consecutive blocks of one role merged into one message. */
export function toAnthropicMessages(input: readonly ModelInputItem[]): Anthropic.Messages.MessageParam[] {
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  const add = (role: "user" | "assistant", block: Block): void => {
    const last = messages.at(-1);
    if (last?.role === role) last.content.push(block);
    else messages.push({ role, content: [block] });
  };
  for (const item of input) {
    switch (item.type) {
      case "user":
        add("user", { type: "text", text: item.text });
        break;
      case "assistant":
        add("assistant", { type: "text", text: item.text });
        break;
      case "tool_call":
        add("assistant", { type: "tool_use", id: item.callId, name: item.name, input: parseInput(item.argumentsJson) });
        break;
      case "tool_result":
        add("user", { type: "tool_result", tool_use_id: item.callId, content: item.output, ...(item.isError ? { is_error: true } : {}) });
        break;
    }
  }
  return groupToolRuns(messages);
}

/** Moves assistant tool_use blocks split by interleaved results into one assistant message followed by one user message of results. */
function groupToolRuns(messages: { role: "user" | "assistant"; content: Block[] }[]): Anthropic.Messages.MessageParam[] {
  const out: { role: "user" | "assistant"; content: Block[] }[] = [];
  for (const message of messages) {
    const last = out.at(-1);
    const previous = out.at(-2);
    const onlyResults = (blocks: Block[]): boolean => blocks.every((block) => block.type === "tool_result");
    const onlyUses = (blocks: Block[]): boolean => blocks.every((block) => block.type === "tool_use");
    // [assistant …tool_use] [user tool_result] [assistant tool_use] → fold the later call into the first run.
    if (message.role === "assistant" && onlyUses(message.content) && last?.role === "user" && onlyResults(last.content) && previous?.role === "assistant") {
      previous.content.push(...message.content);
      continue;
    }
    if (last?.role === message.role) last.content.push(...message.content);
    else out.push({ role: message.role, content: [...message.content] });
  }
  return out;
}

/** A tool call's arguments as the object Anthropic expects (`{}` for empty or malformed JSON). */
function parseInput(argumentsJson: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(argumentsJson || "{}");
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The `tools` for a call (undefined when none are offered). */
export function toAnthropicTools(tools: readonly ModelToolDefinition[]): Anthropic.Messages.Tool[] | undefined {
  if (tools.length === 0) return undefined;
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { type: "object", ...tool.parameters },
  }));
}

/** Turns Anthropic stream events into port events: text as it comes, each tool call when its block stops, usage, then done. */
export async function* fromAnthropicEvents(events: AsyncIterable<Anthropic.Messages.RawMessageStreamEvent>): AsyncGenerator<ModelStreamEvent> {
  const blocks = new Map<number, { callId: string; name: string; json: string }>();
  const usage = { input: 0, cacheRead: 0, cacheCreation: 0, output: 0 };
  let stopReason = "end_turn";
  for await (const event of events) {
    switch (event.type) {
      case "message_start": {
        const start = event.message.usage;
        usage.input = start.input_tokens;
        usage.cacheRead = start.cache_read_input_tokens ?? 0;
        usage.cacheCreation = start.cache_creation_input_tokens ?? 0;
        usage.output = start.output_tokens;
        break;
      }
      case "content_block_start":
        if (event.content_block.type === "tool_use") blocks.set(event.index, { callId: event.content_block.id, name: event.content_block.name, json: "" });
        break;
      case "content_block_delta":
        if (event.delta.type === "text_delta") yield { type: "text_delta", text: event.delta.text };
        else if (event.delta.type === "input_json_delta") {
          const block = blocks.get(event.index);
          if (block) block.json += event.delta.partial_json;
        }
        break;
      case "content_block_stop": {
        const block = blocks.get(event.index);
        if (block) yield { type: "tool_call", callId: block.callId, name: block.name, argumentsJson: block.json || "{}" };
        break;
      }
      case "message_delta":
        if (event.delta.stop_reason) stopReason = event.delta.stop_reason;
        // message_delta usage is cumulative.
        usage.output = event.usage.output_tokens;
        if (typeof event.usage.input_tokens === "number") usage.input = event.usage.input_tokens;
        break;
      default:
        break;
    }
  }
  const report: ModelUsageReport = { inputTokens: usage.input + usage.cacheRead + usage.cacheCreation, outputTokens: usage.output, cachedInputTokens: usage.cacheRead };
  yield { type: "usage", usage: report };
  yield { type: "done", stopReason };
}
