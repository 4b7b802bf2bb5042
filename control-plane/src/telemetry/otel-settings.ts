/**
 * Whether and where traces are exported, from the standard OpenTelemetry variables: traces are
 * on when an OTLP endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or
 * OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces), unless OTEL_SDK_DISABLED=true or
 * OTEL_TRACES_EXPORTER=none. OTLP over HTTP only: http/protobuf (the default) or http/json.
 */
import { ConfigurationError } from "../errors.js";

/** Where and how spans go. */
export interface TraceExportSettings {
  /** The OTLP/HTTP traces URL. */
  readonly url: string;
  readonly protocol: "http/protobuf" | "http/json";
  /** OTEL_SERVICE_NAME, else the component's own name. */
  readonly serviceName: string;
}

/** The settings the environment asks for, or undefined when tracing is off. */
export function traceExportSettings(env: NodeJS.ProcessEnv, defaultServiceName: string): TraceExportSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === "true") return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "otlp").split(",").map((e) => e.trim().toLowerCase());
  if (exporters.includes("none") || !exporters.includes("otlp")) return undefined;
  const signal = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!signal && !base) return undefined;
  const url = signal || `${base!.replace(/\/+$/, "")}/v1/traces`;
  if (!/^https?:\/\//.test(url)) throw new ConfigurationError("invalid configuration: OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT must be an http:// or https:// URL");
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL || "http/protobuf";
  if (protocol !== "http/protobuf" && protocol !== "http/json") {
    throw new ConfigurationError(`invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL ${protocol} is not supported; use http/protobuf or http/json`);
  }
  return { url, protocol, serviceName: env.OTEL_SERVICE_NAME || defaultServiceName };
}
