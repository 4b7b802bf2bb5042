/**
 * Which agent of the session takes a turn (agent.proto, routing_patterns): the message's
 * explicit target; else the first agent, in the session's order, with a matching pattern; else
 * the agent of the previous turn; else the session's first agent.
 */
import type { Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { TurnRoute } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { compileRe2 } from "../models/re2-pattern.js";

/** The chosen agent and why. */
export interface Route {
  readonly agent: Agent;
  readonly name: string;
  readonly route: TurnRoute;
  /** The pattern that matched, for TurnRoute.PATTERN; "" otherwise. */
  readonly matchedPattern: string;
}

/** Why no agent could take the turn. */
export interface NoRoute {
  readonly reason: "NoAgents" | "AgentNotFound";
  readonly message: string;
}

/** The session's agent with this name. */
function byName(agents: readonly Agent[], name: string): Agent | undefined {
  return agents.find((agent) => agent.metadata?.name === name);
}

/** Whether an RE2 pattern matches; a pattern that cannot run here never matches. */
function matches(pattern: string, text: string): boolean {
  try {
    return compileRe2(pattern).test(text);
  } catch {
    return false;
  }
}

/** Chooses the agent for a message, given the session's agents in order and the previous turn's agent. */
export function routeMessage(
  agents: readonly Agent[],
  message: { readonly text: string; readonly targetAgent: string },
  previousAgent: string | undefined,
): Route | NoRoute {
  const first = agents[0];
  if (!first) return { reason: "NoAgents", message: "the session has no agents" };
  if (message.targetAgent !== "") {
    const target = byName(agents, message.targetAgent);
    if (!target) return { reason: "AgentNotFound", message: `agent "${message.targetAgent}" is not one of the session's agents` };
    return { agent: target, name: message.targetAgent, route: TurnRoute.TARGET, matchedPattern: "" };
  }
  for (const agent of agents) {
    const pattern = agent.spec?.routingPatterns.find((candidate) => matches(candidate, message.text));
    if (pattern !== undefined) return { agent, name: agent.metadata?.name ?? "", route: TurnRoute.PATTERN, matchedPattern: pattern };
  }
  const previous = previousAgent ? byName(agents, previousAgent) : undefined;
  if (previous) return { agent: previous, name: previousAgent ?? "", route: TurnRoute.CONTINUATION, matchedPattern: "" };
  return { agent: first, name: first.metadata?.name ?? "", route: TurnRoute.DEFAULT, matchedPattern: "" };
}

/** Narrows a routing result to a route. */
export function isRoute(result: Route | NoRoute): result is Route {
  return "agent" in result;
}
