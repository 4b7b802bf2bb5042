/**
 * Authenticates every call that is not public and enforces the access table; the caller is
 * then available to handlers through `kCaller`.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Authenticator } from "../auth/authenticator.js";
import { adminAccountName } from "../auth/bootstrap-admin.js";
import { kCaller } from "../context.js";
import { accessRequirement } from "../rbac/access-table.js";

/** Authenticates and applies the access requirement of the called method. */
export function authenticationInterceptor(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    const requirement = accessRequirement(req.service.typeName, req.method.name);
    if (requirement === undefined) {
      throw new ConnectError(`${req.service.typeName}/${req.method.name} is not available`, Code.PermissionDenied);
    }
    if (requirement === "public") return next(req);
    if (requirement === "daemon") {
      throw new ConnectError("session daemons are not served yet", Code.Unimplemented);
    }
    const caller = await authenticator.authenticate(req.header.get("authorization"));
    req.contextValues.set(kCaller, caller);
    if (requirement === "admin" && !(caller.namespace === "" && caller.name === adminAccountName)) {
      throw new ConnectError(
        `${caller.name} may not call ${req.service.typeName}/${req.method.name}: it requires the admin account`,
        Code.PermissionDenied,
      );
    }
    return next(req);
  };
}
