/** Clients of a test server: Connect over HTTP/1.1 by default, as the CLI speaks it. */
import type { DescService } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";

/** An interceptor that sends a bearer token. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** A Connect transport to the server, optionally authenticated. */
export function connectTransport(baseUrl: string, token?: string): Transport {
  return createConnectTransport({ baseUrl, httpVersion: "1.1", interceptors: token ? [bearer(token)] : [] });
}

/** A typed client of one service. */
export function clientOf<S extends DescService>(service: S, baseUrl: string, token?: string): Client<S> {
  return createClient(service, connectTransport(baseUrl, token));
}

/** Logs in and returns the token. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await clientOf(AuthService, baseUrl).login({ username, password });
  return res.token;
}
