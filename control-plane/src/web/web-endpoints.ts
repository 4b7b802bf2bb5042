/**
 * What a browser finds on the API's port besides the RPCs: the console at /, the OpenAPI
 * document at /openapi.json and /openapi.yaml, Swagger UI at /docs. Anything else goes on to
 * the next handler (/healthz, /metrics, 404).
 */
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { apiDocFiles } from "./api-docs.js";
import { consoleBuilt, consoleFiles } from "./console-assets.js";
import { staticFiles, type StaticFile } from "./static-files.js";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Which of the web endpoints to serve. */
export interface WebEndpointOptions {
  /** Serve /openapi.json, /openapi.yaml and /docs. */
  readonly apiDocs: boolean;
  /** Serve the console at /. */
  readonly console: boolean;
  /** The built console's directory; defaults to the installed @raworc/console package's dist/. */
  readonly consoleDir?: string;
}

/** Serves the web endpoints, passing every other request to `next`. */
export function webEndpoints(options: WebEndpointOptions, next: NodeHandler): NodeHandler {
  const docs = options.apiDocs ? apiDocFiles() : new Map<string, StaticFile>();
  const consoleFile = options.console ? consoleFiles(options.consoleDir) : () => undefined;
  const serve = staticFiles((path) => docs.get(path) ?? consoleFile(path));
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0] ?? "";
    if (options.apiDocs && path === "/docs" && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(301, { location: "/docs/", "cache-control": "no-cache" });
      res.end();
      return;
    }
    if (serve(req, res, path)) return;
    if (options.console && path === "/" && req.method === "GET" && !consoleBuilt(options.consoleDir)) {
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end("the web console is not built: run `npm run build` (or set RAWORC_CONSOLE=off)\n");
      return;
    }
    next(req, res);
  };
}
