/**
 * RPC overhead of tracing: GetSession throughput of a control plane exporting a span per RPC
 * (and its database spans) by OTLP/HTTP protobuf to an in-process receiver, against the same
 * control plane with tracing off (no SDK loaded). Each runs in a child process of its own,
 * because the tracer is process-wide.
 */
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { startOtlpReceiver } from "@raworc/test-support/otlp-receiver.js";
import { startChildControlPlane } from "../control-plane-child.js";
import type { BenchSettings } from "../settings.js";
import { figure, summarize, type FigureResult } from "../stats.js";
import { throughput } from "./unary-rpc.js";

async function measure(env: Record<string, string>, s: BenchSettings): Promise<number[]> {
  const plane = await startChildControlPlane(env);
  try {
    const ref = { namespace: "default", name: "rpc" };
    await plane.sessions.createSession({ session: { metadata: ref, spec: { agents: ["ticker"] } } });
    for (let i = 0; i < 600 && (await plane.sessions.getSession({ ref })).session?.status?.state !== SessionState.READY; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return await throughput(plane.process.url, plane.token, ref.name, s.rpcClients, s.rpcSeconds);
  } finally {
    await plane.close();
  }
}

/** Measures GetSession throughput with tracing off, then on. */
export async function tracingOverhead(s: BenchSettings): Promise<FigureResult> {
  const receiver = await startOtlpReceiver();
  try {
    const off = summarize(await measure({}, s));
    const on = summarize(await measure({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint }, s));
    const ratio = on.p50 / off.p50;
    return figure({
      name: `GetSession throughput with tracing on, ${s.rpcClients} clients`,
      unit: "req/s",
      measured: on,
      baseline: off,
      baselineLabel: "the same control plane, tracing off",
      target: "reported (overhead = 1 − ratio)",
      pass: true,
      note: `tracing costs ${((1 - ratio) * 100).toFixed(0)}% of throughput here: an RPC span and its database spans, batched and exported as OTLP protobuf`,
    });
  } finally {
    await receiver.close();
  }
}
