/**
 * One trace from a client's RPC to the model provider: the CLI-side traceparent is the parent of
 * the control plane's SendMessage span, whose context rides the work item over the Attach
 * stream into the daemon's turn span, whose model-call span is the parent named in the
 * traceparent the (fake) provider receives. Real server, real daemon, in-process OTLP receiver.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { AgentService, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { clientOf, login } from "@raworc/test-support/clients.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { eventually } from "@raworc/test-support/fault-support.js";
import { startFakeOpenAi, type FakeOpenAi } from "@raworc/test-support/fake-llm/index.js";
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from "@raworc/test-support/otlp-receiver.js";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";

describe("traces end to end (real server and daemon, in-process OTLP receiver, fake provider)", function () {
  this.timeout(120_000);
  let t: TestServer;
  let receiver: OtlpReceiver;
  let fake: FakeOpenAi;
  const saved = { ...process.env };

  before(async () => {
    receiver = await startOtlpReceiver();
    fake = await startFakeOpenAi();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.endpoint;
    process.env.OTEL_EXPORTER_OTLP_PROTOCOL = "http/json";
    process.env.OTEL_BSP_SCHEDULE_DELAY = "200";
    t = await startTestServer();
  });
  after(async () => {
    await t?.stop();
    for (const key of ["OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_BSP_SCHEDULE_DELAY"]) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await fake?.close();
    await receiver?.close();
  });

  it("links the client's RPC, the control plane, the daemon's turn and model call, and the provider request in one trace", async () => {
    const token = await login(t.url, "admin", t.adminPassword);
    await clientOf(SecretService, t.url, token).createSecret({ secret: { metadata: { namespace: "default", name: "llm" }, data: { key: "sk-test" } } });
    await clientOf(AgentService, t.url, token).createAgent({
      agent: {
        metadata: { namespace: "default", name: "traced" },
        spec: { instructions: "Answer.", model: { provider: ModelProvider.OPENAI_COMPATIBLE, name: "fake-model", baseUrl: fake.baseURL, apiKey: { secret: "llm", key: "key" } } },
      },
    });
    const sessions = clientOf(SessionService, t.url, token);
    await sessions.createSession({ session: { metadata: { namespace: "default", name: "t1" }, spec: { agents: ["traced"] } } });
    await eventually("READY", () => sessions.getSession({ ref: { namespace: "default", name: "t1" } }), (r) => r.session?.status?.state === SessionState.READY, 60_000);

    // The client's own span: what `raworc` sends when OTEL_* is set.
    const clientTrace = randomBytes(16).toString("hex");
    const clientSpan = randomBytes(8).toString("hex");
    const traced = createClient(
      SessionService,
      createConnectTransport({
        baseUrl: t.url,
        httpVersion: "1.1",
        interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), req.header.set("traceparent", `00-${clientTrace}-${clientSpan}-01`), next(req))],
      }),
    );
    fake.reply({ text: ["Hello ", "there."] });
    await traced.sendMessage({ ref: { namespace: "default", name: "t1" }, text: "hi" });

    const inTrace = (name: RegExp) => receiver.spans.find((s) => s.traceId === clientTrace && name.test(s.name));
    const model = await eventually("the daemon's model span", () => inTrace(/^model /), (s) => s !== undefined, 30_000);
    const rpc = (await eventually("the SendMessage span", () => inTrace(/SessionService\/SendMessage$/), (s) => s !== undefined))!;
    const turn = receiver.spans.find((s) => s.spanId === model!.parentSpanId)!;
    assert.equal(rpc.service, "raworc-control-plane");
    assert.equal(rpc.parentSpanId, clientSpan, "the RPC span continues the client's trace");
    assert.ok(turn && /^turn 1$/.test(turn.name) && turn.service === "raworc-agent", `the model call's parent is the turn: ${JSON.stringify(turn)}`);
    assert.equal(turn.parentSpanId, rpc.spanId, "the turn is a child of the SendMessage span, through the work item's traceparent");
    assert.equal(model!.service, "raworc-agent");
    const db = receiver.spans.filter((s: ReceivedSpan) => s.parentSpanId === rpc.spanId && s.name.startsWith("db "));
    assert.ok(db.length > 0, "the RPC's database calls are spans under it");

    const sent = fake.requests.at(-1)!.headers.traceparent;
    assert.equal(sent, `00-${clientTrace}-${model!.spanId}-01`, "the provider got the model call's context");
  });

  it("ignores a malformed traceparent and starts a new trace", async () => {
    const token = await login(t.url, "admin", t.adminPassword);
    const bad = createClient(
      SessionService,
      createConnectTransport({ baseUrl: t.url, httpVersion: "1.1", interceptors: [(next) => (req) => (req.header.set("authorization", `Bearer ${token}`), req.header.set("traceparent", "00-zz-not-a-trace-01"), next(req))] }),
    );
    await bad.getSession({ ref: { namespace: "default", name: "t1" } });
    const span = await eventually("the GetSession span", () => receiver.spans.find((s) => s.name.endsWith("SessionService/GetSession")), (s) => s !== undefined);
    assert.equal(span!.parentSpanId, "");
    assert.match(span!.traceId, /^[0-9a-f]{32}$/);
  });
});
