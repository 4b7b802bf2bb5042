/** Echoes the request id on every response, so clients can quote it. */
import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { kRequestId } from "../context.js";

/** Takes the client's x-request-id when well-formed, otherwise a fresh one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && /^[A-Za-z0-9._:-]{1,128}$/.test(value) ? value : crypto.randomUUID();
}

/** Sets `x-request-id` on responses and errors. */
export function requestIdInterceptor(): Interceptor {
  return (next) => async (req) => {
    const id = req.contextValues.get(kRequestId);
    try {
      const res = await next(req);
      res.header.set("x-request-id", id);
      return res;
    } catch (error) {
      if (error instanceof ConnectError) error.metadata.set("x-request-id", id);
      throw error;
    }
  };
}
