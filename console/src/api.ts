/** Typed clients of the API on this page's own origin, over the Connect protocol (binary). */
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { AuditService } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { getToken, setToken } from "./token.js";

// Sends the token; a call refused as unauthenticated (expired or revoked token) logs the page out.
const auth: Interceptor = (next) => async (req) => {
  const token = getToken();
  if (token) req.header.set("authorization", `Bearer ${token}`);
  try {
    return await next(req);
  } catch (error) {
    if (token && ConnectError.from(error).code === Code.Unauthenticated && req.method.name !== "Login") setToken(null);
    throw error;
  }
};

const transport = createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true, interceptors: [auth] });
const client = <S extends DescService>(service: S): Client<S> => createClient(service, transport);

/** The services the console uses. */
export const api = {
  auth: client(AuthService),
  namespaces: client(NamespaceService),
  sessions: client(SessionService),
  agents: client(AgentService),
  secrets: client(SecretService),
  audit: client(AuditService),
};

/** A one-line message for an error shown to the user. */
export function errorText(error: unknown): string {
  const e = ConnectError.from(error);
  return e.code === Code.Unknown ? e.rawMessage : `${Code[e.code]}: ${e.rawMessage}`;
}
