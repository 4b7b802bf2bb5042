/** The plain HTTP endpoints beside the RPCs: GET /healthz and GET /metrics. */
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { Registry } from "prom-client";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** Dependencies of the plain endpoints. */
export interface PlainEndpointDeps {
  /** Resolves when the server can serve (database reachable), rejects otherwise. */
  readonly ready: () => Promise<void>;
  readonly metrics: Registry;
}

/** Handles requests that are not RPCs; everything else is 404. */
export function plainEndpoints(deps: PlainEndpointDeps): NodeHandler {
  return (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(body);
    };
    if (req.method === "GET" && path === "/healthz") {
      deps.ready().then(
        () => send(200, "application/json", '{"status":"ok"}\n'),
        () => send(503, "application/json", '{"status":"unavailable","reason":"database unreachable"}\n'),
      );
      return;
    }
    if (req.method === "GET" && path === "/metrics") {
      deps.metrics.metrics().then(
        (body) => send(200, deps.metrics.contentType, body),
        () => send(500, "text/plain", "metrics unavailable\n"),
      );
      return;
    }
    send(404, "text/plain", "not found\n");
  };
}
