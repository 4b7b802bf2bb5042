/**
 * The traceparent the CLI sends: TRACEPARENT from the environment when it holds a valid one (a
 * CI job or a script continuing its own trace), else, when the standard OTEL_* variables name an
 * OTLP endpoint, a fresh one per command, so the server's spans of one command share a trace.
 * The CLI records no spans itself (no SDK): its own span is the trace's (unexported) root.
 */
import { randomBytes } from "node:crypto";

const valid = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;
let generated: string | undefined;

/** The traceparent for this command's calls, or undefined when tracing is not asked for. */
export function commandTraceparent(env: NodeJS.ProcessEnv): string | undefined {
  const given = env.TRACEPARENT?.trim().toLowerCase();
  if (given && valid.test(given)) return given;
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === "true") return undefined;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  generated ??= `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
  return generated;
}
