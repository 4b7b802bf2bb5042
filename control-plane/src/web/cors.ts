/**
 * CORS by allow-list (RAWORC_CORS_ORIGINS): web pages on an allowed origin may call the API
 * with the Connect, gRPC-Web and gRPC-Web-text protocols; any other origin gets no CORS
 * headers, so the browser keeps its page from reading the answer. Credentials stay off: the
 * API authenticates with a bearer token the page sends, never with cookies.
 */
import { cors } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

/** Header fields a page may send: Connect's list plus our authorization and request id. */
export const corsAllowedHeaders = [...cors.allowedHeaders, "Authorization", "X-Request-Id"].join(", ");
/** Header fields a page may read: Connect's list plus the request id. */
export const corsExposedHeaders = [...cors.exposedHeaders, "X-Request-Id"].join(", ");
/** How long a browser may reuse a preflight answer (Chromium caps it at 2 hours). */
export const corsMaxAgeSeconds = 7200;

type Request = Parameters<NodeHandler>[0];
type Response = Parameters<NodeHandler>[1];
type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Applies the allow-list to one request; true when it answered (a preflight) and the request is done. */
export type CorsHandler = (req: Request, res: Response) => boolean;

/** Builds the CORS handler for the allowed origins ("*" allows any; lower-case scheme://host[:port]). */
export function corsHandler(origins: readonly string[]): CorsHandler {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (req, res) => {
    const origin = req.headers.origin;
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    // Answers differ by Origin whenever some origin is allowed, so shared caches must key on it.
    if (origins.length > 0 && !any) res.setHeader("Vary", "Origin");
    const ok = typeof origin === "string" && (any || allowed.has(origin.toLowerCase()));
    if (!ok) {
      if (!preflight) return false;
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("origin not allowed: add it to RAWORC_CORS_ORIGINS\n");
      return true;
    }
    res.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
    if (!preflight) {
      res.setHeader("Access-Control-Expose-Headers", corsExposedHeaders);
      return false;
    }
    res.writeHead(204, {
      "Access-Control-Allow-Methods": cors.allowedMethods.join(", "),
      "Access-Control-Allow-Headers": corsAllowedHeaders,
      "Access-Control-Max-Age": String(corsMaxAgeSeconds),
    });
    res.end();
    return true;
  };
}
