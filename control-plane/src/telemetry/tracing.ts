/**
 * The control plane's tracer: off (nothing loaded, nothing registered) unless the standard
 * OTEL_* variables name an OTLP endpoint; then the SDK is loaded, registered globally with the
 * W3C trace-context propagator, and spans leave in batches by OTLP/HTTP. Session daemons'
 * spans arrive over their Attach streams already encoded and are forwarded to the same place.
 */
import type { Logger } from "../logger.js";
import { traceExportSettings, type TraceExportSettings } from "./otel-settings.js";

/** A started tracer. */
export interface Tracing {
  readonly settings: TraceExportSettings;
  /** Sends a daemon's spans (an OTLP JSON ExportTraceServiceRequest) on to the collector; best effort. */
  forward(otlpJson: Uint8Array): void;
  /** Flushes what is buffered and unregisters everything. */
  shutdown(): Promise<void>;
}

/** Starts tracing when the environment asks for it; undefined (and no SDK loaded) otherwise. */
export async function startTracing(env: NodeJS.ProcessEnv, logger: Logger): Promise<Tracing | undefined> {
  const settings = traceExportSettings(env, "raworc-control-plane");
  if (!settings) return undefined;
  const [api, { AsyncLocalStorageContextManager }, core, resources, sdk, exporterModule] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/context-async-hooks"),
    import("@opentelemetry/core"),
    import("@opentelemetry/resources"),
    import("@opentelemetry/sdk-trace"),
    settings.protocol === "http/json" ? import("@opentelemetry/exporter-trace-otlp-http") : import("@opentelemetry/exporter-trace-otlp-proto"),
  ]);
  const { installDatabaseSpans } = await import("./database-spans.js");
  const exporter = new exporterModule.OTLPTraceExporter({ url: settings.url });
  const provider = new sdk.TracerProvider({
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ "service.name": settings.serviceName })),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  api.context.setGlobalContextManager(contextManager);
  api.propagation.setGlobalPropagator(new core.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  const uninstallDatabaseSpans = installDatabaseSpans();
  const forwards = new Set<Promise<void>>();
  logger.info({ url: settings.url, protocol: settings.protocol }, "exporting traces by OTLP/HTTP");
  return {
    settings,
    forward(otlpJson) {
      const sent: Promise<void> = fetch(settings.url, { method: "POST", headers: { "content-type": "application/json", ...otlpHeaders(env) }, body: otlpJson, signal: AbortSignal.timeout(10_000) })
        .then((res) => {
          if (!res.ok) logger.debug({ status: res.status }, "the collector refused a daemon's spans");
          return res.body?.cancel();
        })
        .catch((err: unknown) => logger.debug({ err }, "forwarding a daemon's spans failed"))
        .finally(() => forwards.delete(sent));
      forwards.add(sent);
    },
    async shutdown() {
      uninstallDatabaseSpans();
      await Promise.allSettled([...forwards]);
      await provider.shutdown().catch((err: unknown) => logger.warn({ err }, "flushing spans at shutdown failed"));
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
}

/** OTEL_EXPORTER_OTLP_(TRACES_)HEADERS as a header map (`k=v,k2=v2`, values URL-encoded). */
function otlpHeaders(env: NodeJS.ProcessEnv): Record<string, string> {
  const raw = [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS].filter(Boolean).join(",");
  const headers: Record<string, string> = {};
  for (const pair of raw.split(",")) {
    const eq = pair.indexOf("=");
    if (eq > 0) headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}
