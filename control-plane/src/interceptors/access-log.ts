/** One structured log line and one metric sample per RPC, with its outcome and duration. */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { kCaller, kClientAddress, kRequestId } from "../context.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics.js";

function codeName(error: unknown): string {
  const code = error instanceof ConnectError ? error.code : Code.Unknown;
  return Code[code] ?? "Unknown";
}

/** Logs each call (never its payload) and records its latency. */
export function accessLogInterceptor(logger: Logger, metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const finish = (code: string, error?: unknown) => {
      const seconds = (performance.now() - started) / 1000;
      const labels = { service: req.service.typeName, method: req.method.name, code };
      metrics.rpcDuration.observe(labels, seconds);
      const caller = req.contextValues.get(kCaller);
      logger.info(
        {
          requestId: req.contextValues.get(kRequestId),
          rpc: `${req.service.typeName}/${req.method.name}`,
          code,
          ms: Math.round(seconds * 1000),
          client: req.contextValues.get(kClientAddress),
          principal: caller ? `${caller.namespace ? caller.namespace + "/" : ""}${caller.name}` : undefined,
          // Only the message of a deliberate error: it was written to be shown to clients.
          error: error instanceof ConnectError ? error.rawMessage : undefined,
        },
        "rpc",
      );
    };
    try {
      const res = await next(req);
      if (!res.stream) finish("OK");
      else {
        const inner = res.message;
        return {
          ...res,
          message: (async function* () {
            let finished = false;
            try {
              yield* inner;
              finished = true;
              finish("OK");
            } catch (error) {
              finished = true;
              finish(codeName(error), error);
              throw error;
            } finally {
              // The client went away mid-stream: the generator is returned, not thrown into.
              if (!finished) finish("Canceled");
            }
          })(),
        };
      }
      return res;
    } catch (error) {
      finish(codeName(error), error);
      throw error;
    }
  };
}
