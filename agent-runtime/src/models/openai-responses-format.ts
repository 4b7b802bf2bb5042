/**
 * The mapping between the Model port and the OpenAI Responses API: the conversation into `input`
 * items (messages, function_call and function_call_output items, which need no grouping: each
 * output names its call_id), tools as flat function tools, and streamed events back into port
 * events. A function call's arguments arrive as function_call_arguments.delta pieces keyed by the
 * output item; the call is emitted when its output_item.done arrives, with the final arguments.
 * An `error` event or response.failed ends the call with a ModelError.
 */
import type OpenAI from "openai";
import { ModelError } from "../errors.js";
import type { ModelInputItem, ModelStreamEvent, ModelToolDefinition } from "./model.js";
import { scrub } from "./provider-errors.js";

/** The `input` items for a call. */
export function toResponsesInput(input: readonly ModelInputItem[]): OpenAI.Responses.ResponseInputItem[] {
  return input.map((item): OpenAI.Responses.ResponseInputItem => {
    switch (item.type) {
      case "user":
        return { type: "message", role: "user", content: item.text };
      case "assistant":
        return { type: "message", role: "assistant", content: item.text };
      case "tool_call":
        return { type: "function_call", call_id: item.callId, name: item.name, arguments: item.argumentsJson };
      case "tool_result":
        return { type: "function_call_output", call_id: item.callId, output: item.isError ? `error: ${item.output}` : item.output };
    }
  });
}

/** The `tools` for a call (undefined when none are offered). */
export function toResponsesTools(tools: readonly ModelToolDefinition[]): OpenAI.Responses.FunctionTool[] | undefined {
  if (tools.length === 0) return undefined;
  // strict would force every property to be required, which the built-in tools' optional arguments are not.
  return tools.map((tool) => ({ type: "function", name: tool.name, description: tool.description, parameters: tool.parameters, strict: false }));
}

/** Whether a provider error code is worth a retry. */
function retryableCode(code: string | null | undefined): boolean {
  return /rate_limit|server_error|overloaded|unavailable/i.test(code ?? "");
}

/** The port's stop reason for an incomplete response. */
function incompleteReason(reason: string | undefined): string {
  return reason === "max_output_tokens" ? "max_tokens" : (reason ?? "incomplete");
}

/** Turns Responses stream events into port events: text as it comes, each function call when its item is done, usage, then done. */
export async function* fromResponsesEvents(
  events: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>,
  provider: string,
  apiKey: string | undefined,
): AsyncGenerator<ModelStreamEvent> {
  const calls = new Map<string, { callId: string; name: string; argumentsJson: string }>();
  let emittedCalls = 0;
  let final: OpenAI.Responses.Response | undefined;
  for await (const event of events) {
    switch (event.type) {
      case "response.output_text.delta":
        if (event.delta) yield { type: "text_delta", text: event.delta };
        break;
      case "response.output_item.added":
        if (event.item.type === "function_call") calls.set(event.item.id ?? "", { callId: event.item.call_id, name: event.item.name, argumentsJson: event.item.arguments });
        break;
      case "response.function_call_arguments.delta": {
        const call = calls.get(event.item_id);
        if (call) call.argumentsJson += event.delta;
        break;
      }
      case "response.function_call_arguments.done": {
        const call = calls.get(event.item_id);
        if (call) call.argumentsJson = event.arguments;
        break;
      }
      case "response.output_item.done":
        if (event.item.type === "function_call") {
          const call = calls.get(event.item.id ?? "");
          emittedCalls++;
          yield {
            type: "tool_call",
            callId: event.item.call_id || call?.callId || `call_${emittedCalls}`,
            name: event.item.name || call?.name || "",
            argumentsJson: event.item.arguments || call?.argumentsJson || "{}",
          };
        }
        break;
      case "response.completed":
      case "response.incomplete":
        final = event.response;
        break;
      case "response.failed": {
        const error = event.response.error;
        throw new ModelError(`${provider} failed the response: ${scrub(error?.message ?? "no reason given", apiKey)}`, { retryable: retryableCode(error?.code) });
      }
      case "error":
        throw new ModelError(`${provider} failed mid-stream: ${scrub(event.message, apiKey)}`, { retryable: retryableCode(event.code) });
      default:
        break;
    }
  }
  if (!final) throw new ModelError(`${provider} ended the stream before the response completed`, { retryable: true });
  const usage = final.usage;
  if (usage) {
    yield { type: "usage", usage: { inputTokens: usage.input_tokens, outputTokens: usage.output_tokens, cachedInputTokens: usage.input_tokens_details?.cached_tokens ?? 0 } };
  }
  const stopReason = final.status === "incomplete" ? incompleteReason(final.incomplete_details?.reason) : emittedCalls > 0 ? "tool_use" : "end_turn";
  yield { type: "done", stopReason };
}
