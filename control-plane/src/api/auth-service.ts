/** AuthService: login, who-am-I, logout and password change. */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { AuthService} from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { PrincipalSchema, type Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { Authenticator } from "../auth/authenticator.js";
import { kCaller, kClientAddress, type AuthenticatedCaller } from "../context.js";

function principalOf(p: { namespace: string; name: string; id?: string; uid?: string; groups?: readonly string[] }): Principal {
  return create(PrincipalSchema, {
    kind: "ServiceAccount",
    namespace: p.namespace,
    name: p.name,
    uid: p.uid ?? p.id ?? "",
    groups: [...(p.groups ?? [])],
  });
}

/** The caller, which the authentication interceptor has set on every non-public method. */
export function callerOf(ctx: HandlerContext): AuthenticatedCaller {
  const caller = ctx.values.get(kCaller);
  if (!caller) throw new ConnectError("not authenticated", Code.Unauthenticated);
  return caller;
}

/** Creates the AuthService implementation. */
export function createAuthService(authenticator: Authenticator): ServiceImpl<typeof AuthService> {
  return {
    async login(req, ctx) {
      const issued = await authenticator.login(req.username, req.password, ctx.values.get(kClientAddress));
      return {
        token: issued.token,
        expiresAt: timestampFromDate(issued.expiresAt),
        principal: principalOf(issued.account),
      };
    },
    whoAmI(_req, ctx) {
      const caller = callerOf(ctx);
      return {
        principal: principalOf(caller),
        tokenId: caller.tokenId,
        issuedAt: timestampFromDate(caller.issuedAt),
        expiresAt: timestampFromDate(caller.expiresAt),
      };
    },
    async logout(_req, ctx) {
      await authenticator.logout(callerOf(ctx));
      return {};
    },
    async changePassword(req, ctx) {
      const issued = await authenticator.changePassword(callerOf(ctx), req.currentPassword, req.newPassword);
      return { token: issued.token, expiresAt: timestampFromDate(issued.expiresAt) };
    },
  };
}
