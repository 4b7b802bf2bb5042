/** RuntimeService alone on 127.0.0.1 port 0, behind the real authorization interceptor, for tests that need settings the full test server cannot take. */
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { RuntimeService } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { createRuntimeService, type RuntimeServiceDependencies } from "../../api/runtime-service.js";
import { Authenticator } from "../../auth/authenticator.js";
import type { DaemonTokenSettings } from "../../auth/daemon-auth.js";
import { LoginThrottle } from "../../auth/throttle.js";
import { authorizationInterceptor } from "../../interceptors/authorization.js";
import { Authorizer } from "../../rbac/authorizer.js";
import type { Orm } from "../../store/orm.js";
import { ServiceAccountStore } from "../../store/service-accounts.js";
import { SessionStore } from "../session-store.js";

/** A running attach server: its URL, and close (which drops every open HTTP/2 session). */
export interface TestAttachServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts RuntimeService on port 0 with `service` (its orm is `orm`; secrets are refused unless given). */
export async function startAttachServer(
  orm: Orm,
  settings: DaemonTokenSettings,
  service: Omit<RuntimeServiceDependencies, "orm" | "secrets"> = {},
): Promise<TestAttachServer> {
  const authenticator = new Authenticator({
    accounts: new ServiceAccountStore(orm),
    keyring: settings.keyring,
    throttle: new LoginThrottle(),
    issuer: settings.issuer,
    tokenTtlSeconds: 3600,
    sessions: new SessionStore(orm),
  });
  const secrets = { readData: () => Promise.reject(new Error("no secrets here")) };
  const handler = connectNodeAdapter({
    routes: (router) => router.service(RuntimeService, createRuntimeService({ ...service, orm, secrets })),
    interceptors: [authorizationInterceptor(authenticator, new Authorizer(orm))],
  });
  const server = http2.createServer(handler);
  const open = new Set<http2.Http2Session>();
  server.on("session", (s) => open.add(s).size && s.once("close", () => open.delete(s)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
