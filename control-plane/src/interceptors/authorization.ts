/**
 * Authenticates every call that is not public and authorizes it against the one access table:
 * one RBAC check per RPC, or a list scope for cross-namespace lists. The caller and the
 * decision travel on context values to the handlers and the audit log.
 */
import { Code, ConnectError, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";
import type { Authenticator } from "../auth/authenticator.js";
import { kAccess, kCaller, kDaemon, kListScope, type AuthenticatedCaller } from "../context.js";
import { accessEntry, type CheckSpec } from "../rbac/access-table.js";
import type { Authorizer } from "../rbac/authorizer.js";
import type { Attributes } from "../rbac/rules.js";

/** How a refusal reads, in the words Kubernetes uses. */
export function denialMessage(caller: AuthenticatedCaller, a: Attributes): string {
  const who = caller.namespace ? `${caller.namespace}/${caller.name}` : caller.name;
  const what = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const named = a.name ? ` "${a.name}"` : "";
  const where = a.namespace ? ` in namespace "${a.namespace}"` : a.verb === "list" ? " in any namespace" : " globally";
  return `serviceaccount "${who}" cannot ${a.verb} ${what}${named} in API group "${a.group}"${where}`;
}

/** Reads the request message; for a server-streaming call, the single request message. */
async function requestMessage(req: UnaryRequest | StreamRequest): Promise<{ message: Record<string, unknown>; req: UnaryRequest | StreamRequest }> {
  if (!req.stream) return { message: req.message, req };
  if (req.method.methodKind !== "server_streaming") return { message: {}, req };
  const iterator = req.message[Symbol.asyncIterator]();
  const first = await iterator.next();
  const replay = (async function* () {
    if (!first.done) yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  return { message: (first.value ?? {}) as Record<string, unknown>, req: { ...req, message: replay } };
}

/** Authenticates and authorizes each call. */
export function authorizationInterceptor(authenticator: Authenticator, authorizer: Authorizer): Interceptor {
  return (next) => async (incoming) => {
    const entry = accessEntry(incoming.service.typeName, incoming.method.name);
    if (entry === undefined) {
      throw new ConnectError(`${incoming.service.typeName}/${incoming.method.name} is not available`, Code.PermissionDenied);
    }
    if (entry.kind === "public") return next(incoming);
    if (entry.kind === "daemon") {
      // Only a session token: a user token is refused here, whatever the user may do elsewhere.
      incoming.contextValues.set(kDaemon, await authenticator.authenticateDaemon(incoming.header.get("authorization")));
      return next(incoming);
    }
    const caller = await authenticator.authenticate(incoming.header.get("authorization"));
    incoming.contextValues.set(kCaller, caller);
    if (entry.kind === "authenticated") {
      incoming.contextValues.set(kAccess, { mutating: entry.mutating });
      return next(incoming);
    }
    const { message, req } = await requestMessage(incoming);
    const attributes = attributesOf(entry, message);
    req.contextValues.set(kAccess, { attributes, mutating: entry.mutating });
    if (attributes.verb === "list" && attributes.namespace === "" && entry.resource !== "namespaces") {
      const scope = await authorizer.namespacesAllowing(caller, attributes);
      if (!scope.all && scope.namespaces.length === 0) throw new ConnectError(denialMessage(caller, attributes), Code.PermissionDenied);
      req.contextValues.set(kListScope, scope);
    } else if (!(await authorizer.allows(caller, attributes))) {
      throw new ConnectError(denialMessage(caller, attributes), Code.PermissionDenied);
    }
    return next(req);
  };
}

function attributesOf(spec: CheckSpec, message: Record<string, unknown>): Attributes {
  return {
    group: spec.group,
    resource: spec.resource,
    subresource: spec.subresource,
    verb: spec.verb,
    namespace: spec.namespace(message),
    name: spec.name(message),
  };
}
