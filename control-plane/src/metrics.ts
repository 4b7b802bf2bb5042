/** Prometheus metrics of the control plane, served at GET /metrics. */
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

/** The metrics registry and the instruments the server records. */
export interface Metrics {
  readonly registry: Registry;
  /** RPC latency by service, method and result code. */
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
}

/** Creates a fresh registry (one per server, so tests can run several servers). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "raworc_" });
  const rpcDuration = new Histogram({
    name: "raworc_rpc_duration_seconds",
    help: "Latency of RPCs by service, method and gRPC code.",
    labelNames: ["service", "method", "code"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  return { registry, rpcDuration };
}
