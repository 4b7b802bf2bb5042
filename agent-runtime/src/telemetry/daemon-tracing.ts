/**
 * The daemon's tracer: loaded only when the control plane starts the daemon with
 * RAWORC_TRACES=attach. Finished spans are batched, encoded as an OTLP JSON export request and
 * sent over the Attach stream; the control plane exports them with its own OTEL_* settings,
 * because a sandboxed daemon has no network of its own and should hold no collector
 * credentials. Spans finished while no stream is up are dropped (traces are best effort).
 */
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import type { Logger } from "../logger.js";
import { enableSpans } from "./spans.js";

/** A started daemon tracer. */
export interface DaemonTracing {
  /** Exports what is buffered and unregisters. */
  shutdown(): Promise<void>;
}

/** Starts tracing; `send` hands an encoded batch to the Attach stream (false when none is up). */
export async function startDaemonTracing(send: (otlpJson: Uint8Array) => boolean, log: Logger): Promise<DaemonTracing> {
  const [api, { AsyncLocalStorageContextManager }, core, resources, sdk, { JsonTraceSerializer }] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
    import("@opentelemetry/otlp-transformer"),
  ]);
  const exporter: SpanExporter = {
    export(spans, done) {
      const body = JsonTraceSerializer.serializeRequest(spans);
      const sent = body !== undefined && send(body);
      if (!sent) log.debug({ spans: spans.length }, "no attach stream: spans dropped");
      done({ code: core.ExportResultCode.SUCCESS });
    },
    shutdown: () => Promise.resolve(),
  };
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ "service.name": "raworc-agent" }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: 500 })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  enableSpans(true);
  return {
    async shutdown() {
      enableSpans(false);
      await provider.shutdown().catch(() => undefined);
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}
