/**
 * The daemon's spans: a turn (joining the trace of the request that queued its message), each
 * model call and each tool call under it, and the traceparent header on outgoing HTTP (model
 * providers, http_fetch). All of it is a plain pass-through until tracing is enabled.
 */
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from "@opentelemetry/api";

let enabled = false;
const tracer = () => trace.getTracer("raworc-agent");

/** Turns span recording on or off (daemon-tracing.ts does, when the SDK is registered). */
export function enableSpans(on: boolean): void {
  enabled = on;
}

/** traceparent values by message id, from work items, until their turn starts. */
const parents = new Map<string, string>();

/** Remembers the trace a message's turn belongs to (a malformed value is ignored when the turn starts). */
export function rememberTraceparent(messageId: string, traceparent: string): void {
  if (!enabled || traceparent === "") return;
  parents.set(messageId, traceparent);
  // Bounded: a message whose turn never runs here must not hold memory forever.
  if (parents.size > 1000) parents.delete(parents.keys().next().value!);
}

function parentOf(messageId: string): Context {
  const traceparent = parents.get(messageId);
  parents.delete(messageId);
  // The W3C propagator ignores a malformed value: the turn then starts a new trace.
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** Runs `fn` in a span named `name` under the active one; the span records a thrown error. */
export async function inSpan<T>(name: string, attributes: Attributes, fn: () => Promise<T>, parent: Context = context.active(), kind = SpanKind.INTERNAL): Promise<T> {
  if (!enabled) return fn();
  const span = tracer().startSpan(name, { attributes, kind }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** Runs a turn in its span, a child of the request that queued its message when that request was traced. */
export function inTurnSpan<T>(turn: number, messageId: string, fn: () => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  return inSpan(`turn ${turn}`, { "raworc.turn": turn, "raworc.message_id": messageId }, fn, parentOf(messageId));
}

/** A model's event stream pulled inside a model-call span, so the provider request (and its traceparent) belongs to it. */
export async function* inModelSpan<T>(model: string, stream: () => AsyncIterable<T>): AsyncGenerator<T> {
  if (!enabled) {
    yield* stream();
    return;
  }
  const parent = context.active();
  const span = tracer().startSpan(`model ${model}`, { kind: SpanKind.CLIENT, attributes: { "gen_ai.request.model": model } }, parent);
  const active = trace.setSpan(parent, span);
  try {
    const iterator = context.with(active, () => stream()[Symbol.asyncIterator]());
    for (;;) {
      const step = await context.with(active, () => iterator.next());
      if (step.done) return;
      yield step.value;
    }
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    throw error;
  } finally {
    span.end();
  }
}

/** The trace headers to add to an outgoing request ({} when tracing is off or no span is active). */
export function traceHeaders(): Record<string, string> {
  if (!enabled) return {};
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier;
}

/** fetch with the active span's traceparent added, for the model providers' SDK clients. */
export const tracedFetch: typeof fetch = (input, init) => {
  const extra = traceHeaders();
  if (Object.keys(extra).length === 0) return fetch(input, init);
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return fetch(input, { ...init, headers });
};
