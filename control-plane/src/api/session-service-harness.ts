/**
 * For tests: SessionService alone on a real HTTP server on port 0 over a fresh database, with
 * no reconciler, runtime or daemon, so a test can move sessions through their states by hand
 * and see exactly what the API does. Callers name themselves in a header instead of logging
 * in; authorization is tested against the full server elsewhere.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, createConnectTransport } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import { AgentSpecSchema, ModelProvider } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { createTestDatabase, type TestDatabase } from "@raworc/test-support/database.js";
import { kCaller } from "../context.js";
import { errorMappingInterceptor } from "../interceptors/error-mapping.js";
import { createLogger } from "../logger.js";
import { bootstrapRbac } from "../rbac/bootstrap.js";
import { Notifier } from "../sessions/notifier.js";
import { SessionStore } from "../sessions/session-store.js";
import type { WatchOptions } from "../sessions/watch.js";
import { AgentStore } from "../store/agents.js";
import { openOrm, type Orm } from "../store/orm.js";
import { createSessionService } from "./session-service.js";

/** A running SessionService and what a test needs around it. */
export interface SessionApiHarness {
  readonly url: string;
  readonly databaseUrl: string;
  readonly orm: Orm;
  readonly store: SessionStore;
  /** A client calling as a service account: "name" (global) or "namespace/name". */
  clientAs(username: string): Client<typeof SessionService>;
  /** Creates a namespace. */
  addNamespace(name: string): Promise<void>;
  /** Creates a scripted agent. */
  addAgent(namespace: string, name: string): Promise<void>;
  /** Signals shutdown to open streams, as the server does when it stops. */
  shutdown(): void;
  /** Stops the server (waiting for connections to close) and drops the database. */
  stop(): Promise<void>;
}

const callerHeader = "x-test-caller";

/** Sets the caller from the test header, as authentication would from a token. */
const testCaller: Interceptor = (next) => (req) => {
  const username = req.header.get(callerHeader) ?? "admin";
  const [namespace, name] = username.includes("/") ? (username.split("/", 2) as [string, string]) : ["", username];
  req.contextValues.set(kCaller, {
    kind: "ServiceAccount",
    uid: `00000000-0000-4000-8000-${Buffer.from(username).toString("hex").padEnd(12, "0").slice(0, 12)}`,
    namespace,
    name,
    groups: [],
    tokenId: "test",
    issuedAt: new Date(),
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  return next(req);
};

/** Starts SessionService on port 0 over a fresh database. */
export async function startSessionApi(options: { watch?: WatchOptions } = {}): Promise<SessionApiHarness> {
  const database: TestDatabase = await createTestDatabase();
  const orm = await openOrm({ url: database.url });
  await bootstrapRbac(orm, "admin");
  const notifier = new Notifier(database.url);
  await notifier.start();
  const store = new SessionStore(orm);
  const stopping = new AbortController();
  const service = createSessionService({ orm, sessions: store, notifier, stopping: stopping.signal, ...(options.watch ? { watch: options.watch } : {}) });
  const server: Server = createServer(
    connectNodeAdapter({
      routes: (router) => router.service(SessionService, service),
      interceptors: [testCaller, errorMappingInterceptor(createLogger("silent")), createValidateInterceptor()],
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agents = new AgentStore(orm);
  return {
    url,
    databaseUrl: database.url,
    orm,
    store,
    clientAs(username) {
      const setCaller: Interceptor = (next) => (req) => {
        req.header.set(callerHeader, username);
        return next(req);
      };
      return createClient(SessionService, createConnectTransport({ baseUrl: url, httpVersion: "1.1", interceptors: [setCaller] }));
    },
    async addNamespace(name) {
      await orm.em.fork().execute(
        `insert into namespaces (id, name, phase, labels, annotations, created_at, updated_at, version) values (gen_random_uuid(), ?, 'active', '{}', '{}', now(), now(), 1)`,
        [name],
      );
    },
    async addAgent(namespace, name) {
      const spec = create(AgentSpecSchema, { model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps: [{ step: { case: "text", value: "Hi." } }] }] } } });
      await agents.create({ namespace, name }, { spec, labels: {}, annotations: {} });
    },
    shutdown() {
      stopping.abort();
    },
    async stop() {
      stopping.abort();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await notifier.close();
      await orm.close(true);
      await database.drop();
    },
  };
}
