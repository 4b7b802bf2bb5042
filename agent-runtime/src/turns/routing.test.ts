import assert from "node:assert/strict";
import { TurnRoute } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { script, scriptedAgent, step } from "../testing/fixtures.js";
import { isRoute, routeMessage } from "./routing.js";

const reply = script(["", [step.text("ok")]]);
const agents = [scriptedAgent("triage", reply), scriptedAgent("billing", reply, ["(?i)invoice|refund"]), scriptedAgent("code", reply, ["\\bbug\\b"])];

function routed(text: string, targetAgent = "", previous?: string): [string, TurnRoute, string] | string {
  const result = routeMessage(agents, { text, targetAgent }, previous);
  return isRoute(result) ? [result.name, result.route, result.matchedPattern] : result.reason;
}

describe("turn routing", () => {
  it("sends a message to its explicit target first", () => {
    assert.deepEqual(routed("I need a refund", "code"), ["code", TurnRoute.TARGET, ""]);
  });

  it("else to the first agent in session order whose pattern matches", () => {
    assert.deepEqual(routed("There is a bug in my Invoice"), ["billing", TurnRoute.PATTERN, "(?i)invoice|refund"]);
    assert.deepEqual(routed("found a bug"), ["code", TurnRoute.PATTERN, "\\bbug\\b"]);
  });

  it("else to the previous turn's agent, else to the first agent", () => {
    assert.deepEqual(routed("thanks", "", "code"), ["code", TurnRoute.CONTINUATION, ""]);
    assert.deepEqual(routed("thanks", "", "gone"), ["triage", TurnRoute.DEFAULT, ""]);
    assert.deepEqual(routed("thanks"), ["triage", TurnRoute.DEFAULT, ""]);
  });

  it("skips a pattern RE2 cannot run instead of failing the message", () => {
    const odd = [scriptedAgent("first", reply), scriptedAgent("lookahead", reply, ["a(?=b)", "(?i)^help"])];
    const result = routeMessage(odd, { text: "ab help", targetAgent: "" }, undefined);
    assert.deepEqual(isRoute(result) ? [result.name, result.route] : result.reason, ["first", TurnRoute.DEFAULT]);
    const second = routeMessage(odd, { text: "HELP me", targetAgent: "" }, undefined);
    assert.deepEqual(isRoute(second) ? [second.name, second.route, second.matchedPattern] : second.reason, ["lookahead", TurnRoute.PATTERN, "(?i)^help"]);
  });

  it("names what is wrong when no agent can take the turn", () => {
    assert.equal(routed("hi", "nobody"), "AgentNotFound");
    const none = routeMessage([], { text: "hi", targetAgent: "" }, undefined);
    assert.equal(isRoute(none) ? "routed" : none.reason, "NoAgents");
  });
});
