/** The W3C trace context of the active span, as a traceparent value for work items (empty when tracing is off). */
import { context, propagation } from "@opentelemetry/api";

/** The active context's traceparent, or "" when there is none (tracing off, or no span). */
export function currentTraceparent(): string {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? "";
}
