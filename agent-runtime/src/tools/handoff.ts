/**
 * handoff: passes the rest of the turn to another agent of the session. The tool only checks
 * the target and answers; the turn runner sees a successful call (see `handoffRequest`), emits
 * the Handoff event and continues the turn with the receiver's instructions, model and tools.
 */
import type { Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalString, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";

/** Handoffs one turn may make before it fails: two agents passing a turn back and forth never end it. */
export const maxHandoffsPerTurn = 4;

/** Longest handoff message, in bytes (the Handoff event's limit). */
const maxMessageBytes = 65_536;

/** A handoff the model asked for. */
export interface HandoffRequest {
  readonly toAgent: string;
  readonly message: string;
}

/** Creates the handoff tool of agent `self`, whose targets are the session's other agents. */
export function createHandoffTool(self: string, agents: readonly Agent[]): Tool {
  const others = agents.filter((agent) => agent.metadata?.name !== self);
  const listed = others.map((agent) => `"${agent.metadata?.name ?? ""}"${agent.spec?.description ? `: ${agent.spec.description}` : ""}`).join("; ");
  return {
    name: "handoff",
    description: `Hand the rest of this turn to another agent of the session, with a message for it. Agents: ${listed || "none"}.`,
    parameters: {
      type: "object",
      properties: {
        to_agent: { type: "string", description: "The name of the agent to hand off to." },
        message: { type: "string", description: "What the other agent should know or do." },
      },
      required: ["to_agent"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, () => {
        const a = argsObject(args);
        const target = requiredString(a, "to_agent");
        if (Buffer.byteLength(optionalString(a, "message") ?? "", "utf8") > maxMessageBytes) throw new ToolInputError("message is longer than 64 KiB; shorten it");
        const names = others.map((agent) => agent.metadata?.name ?? "");
        if (target === self) throw new ToolInputError(`you are "${self}"; hand off to one of: ${names.join(", ") || "(no other agents)"}`);
        if (!names.includes(target)) throw new ToolInputError(`unknown agent "${target}"; hand off to one of: ${names.join(", ") || "(no other agents)"}`);
        return Promise.resolve(textResult(ctx, `handed off to "${target}"`));
      }),
  };
}

/** The handoff a tool call made, when it was a successful handoff call. */
export function handoffRequest(call: { readonly name: string; readonly argumentsJson: string }, answer: { readonly isError: boolean }): HandoffRequest | undefined {
  if (call.name !== "handoff" || answer.isError) return undefined;
  let args: { to_agent?: unknown; message?: unknown };
  try {
    args = JSON.parse(call.argumentsJson || "{}") as typeof args;
  } catch {
    return undefined;
  }
  if (typeof args !== "object" || args === null || typeof args.to_agent !== "string") return undefined;
  return { toAgent: args.to_agent, message: typeof args.message === "string" ? args.message : "" };
}

/** The user message the receiver sees: the original one with the giver's note. */
export function handoffInput(userText: string, giver: string, message: string): string {
  return `${userText}\n\n[Handed off by agent "${giver}"${message ? `: ${message}` : ""}]`;
}
