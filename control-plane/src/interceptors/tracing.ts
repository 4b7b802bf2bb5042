/**
 * A server span for every RPC (the Node HTTP/2 server is not covered by HTTP instrumentation):
 * the caller's W3C trace context is extracted from the request headers (a malformed traceparent
 * is ignored and a new trace starts), the handler runs in the span's context, and the span ends
 * with the call, for a stream when its last message has been sent.
 */
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from "@opentelemetry/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";

const getter = {
  keys: (headers: Headers) => [...headers.keys()],
  get: (headers: Headers, key: string) => headers.get(key) ?? undefined,
};

function fail(span: Span, error: unknown): void {
  const code = error instanceof ConnectError ? error.code : Code.Unknown;
  span.setAttribute("rpc.response.status_code", Code[code]);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/** Traces each call; install only when tracing is on. */
export function tracingInterceptor(): Interceptor {
  const tracer = trace.getTracer("raworc-control-plane");
  return (next) => async (req) => {
    const parent = propagation.extract(context.active(), req.header, getter);
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      { kind: SpanKind.SERVER, attributes: { "rpc.system.name": "connect_rpc", "rpc.method": `${req.service.typeName}/${req.method.name}` } },
      parent,
    );
    const active = trace.setSpan(parent, span);
    try {
      const res = await context.with(active, () => next(req));
      if (!res.stream) {
        span.end();
        return res;
      }
      const messages = res.message[Symbol.asyncIterator]();
      return {
        ...res,
        message: (async function* () {
          try {
            // Each step of a stream's handler runs in the span's context, wherever the adapter pulls it from.
            for (;;) {
              const step = await context.with(active, () => messages.next());
              if (step.done) break;
              yield step.value;
            }
          } catch (error) {
            fail(span, error);
            throw error;
          } finally {
            span.end();
          }
        })(),
      };
    } catch (error) {
      fail(span, error);
      span.end();
      throw error;
    }
  };
}
