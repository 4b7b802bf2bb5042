import assert from "node:assert/strict";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { parseStates, sessionFromFlags } from "./session-actions.js";

describe("raworc sessions: flags", () => {
  it("reads states in any spelling, and all as every state", () => {
    assert.deepEqual(parseStates(["Ready", "busy", "SESSION_STATE_TERMINATED"]), [SessionState.READY, SessionState.BUSY, SessionState.TERMINATED]);
    assert.equal(parseStates(["all"]).length, 9);
    assert.deepEqual(parseStates([]), []);
    assert.throws(() => parseStates(["Running"]), { name: "UsageError", message: /unknown state "Running" \(use one of: Pending, Starting, Ready/ });
  });

  it("builds the session to create: agents in order, prompt, labels, resources and idle timeout, in namespace default unless -n", () => {
    const session = sessionFromFlags({ agent: ["greeter", "helper"], prompt: "hi", label: ["team=a"], idleTimeout: "30m", cpu: "500m" });
    assert.deepEqual([session.metadata?.namespace, session.metadata?.name, session.metadata?.labels], ["default", "", { team: "a" }]);
    assert.deepEqual([session.spec?.agents, session.spec?.initialPrompt, session.spec?.resources?.cpu], [["greeter", "helper"], "hi", "500m"]);
    assert.equal(session.spec?.idleTimeout && durationMs(session.spec.idleTimeout), 30 * 60_000);
    assert.equal(sessionFromFlags({ agent: ["a"], namespace: "team-a" }).spec?.idleTimeout, undefined, "absent means the server's default");
    assert.throws(() => sessionFromFlags({}), { name: "UsageError", message: /--agent NAME/ });
    assert.throws(() => sessionFromFlags({ agent: ["a"], idleTimeout: "soon" }), { name: "UsageError" });
  });
});
