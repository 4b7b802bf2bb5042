/**
 * Wiring of the control plane: database, keys, bootstrap, interceptors, routes and the one
 * port. This file only assembles; the logic lives in the folders it imports from.
 */
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { createContextValues } from "@connectrpc/connect";
import { daemonEnv } from "@raworc/contract";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import { HealthCheckResponse_ServingStatus as Status } from "@raworc/proto/gen/grpc/health/v1/health_pb.js";
import { HealthState } from "./api/health-service.js";
import { Authenticator } from "./auth/authenticator.js";
import { issueDaemonToken } from "./auth/daemon-auth.js";
import { adminAccountName, bootstrapAdmin, type BootstrapOutcome } from "./auth/bootstrap-admin.js";
import { importKeySet, loadOrCreateKeySet } from "./auth/keyring.js";
import { LoginThrottle } from "./auth/throttle.js";
import type { ServerConfig } from "./config.js";
import { kClientAddress, kRequestId } from "./context.js";
import { listenOnePort, type DualHandler } from "./http/one-port-listener.js";
import { withClientParseErrors } from "./http/parse-error-code.js";
import { plainEndpoints } from "./http/plain-endpoints.js";
import { accessLogInterceptor } from "./interceptors/access-log.js";
import { auditInterceptor } from "./interceptors/audit.js";
import { authorizationInterceptor } from "./interceptors/authorization.js";
import { errorMappingInterceptor } from "./interceptors/error-mapping.js";
import { requestIdFrom, requestIdInterceptor } from "./interceptors/request-id.js";
import { tracingInterceptor } from "./interceptors/tracing.js";
import { createLogger, type Logger } from "./logger.js";
import { createSessionRuntime } from "./runtime/create-runtime.js";
import { Reconciler } from "./sessions/reconciler.js";
import { createMetrics } from "./metrics.js";
import { Authorizer } from "./rbac/authorizer.js";
import { bootstrapRbac, hasAnyRole } from "./rbac/bootstrap.js";
import { registerRoutes, servedServices } from "./routes.js";
import { openSecretStore } from "./secrets/open-secret-store.js";
import { Notifier } from "./sessions/notifier.js";
import { SessionStore } from "./sessions/session-store.js";
import { corsHandler } from "./web/cors.js";
import { webEndpoints } from "./web/web-endpoints.js";
import { AuditEventStore } from "./store/audit-events.js";
import { checkDatabaseReachable } from "./store/database-url.js";
import { startTracing } from "./telemetry/tracing.js";
import { startEmbeddedPostgres } from "./store/embedded-postgres.js";
import { openOrm, type Orm } from "./store/orm.js";
import { ServiceAccountStore } from "./store/service-accounts.js";
import { DeliveryStore } from "./webhooks/delivery-store.js";
import { WebhookDispatcher } from "./webhooks/dispatcher.js";
import { webhookAddressCheck } from "./webhooks/target-policy.js";
import { WebhookStore } from "./webhooks/webhook-store.js";

/** A running control plane. */
export interface RunningServer {
  /** Base URL clients connect to, e.g. http://127.0.0.1:9000. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** What the admin bootstrap did on this start. */
  readonly bootstrap: BootstrapOutcome;
  /** The ORM, for tests and tools that inspect stored state. */
  readonly orm: Orm;
  /** How many session daemons run now, as the runtime sees them (what stop() leaves running unless configured to pause them). */
  runningSessions(): Promise<number>;
  /** Stops gracefully: NOT_SERVING, stop accepting, drain, close the database; with `stopSessionsOnExit`, pauses the running sessions first. */
  stop(): Promise<void>;
}

/** Options beyond the configuration. */
export interface StartServerOptions {
  /** Logger to use; defaults to JSON on stdout at the configured level. */
  readonly logger?: Logger;
  /**
   * Whether to run the reconciler (default true). Tests that play the daemon by hand turn it
   * off so that no real daemon competes with them.
   */
  readonly reconcile?: boolean;
  /** How long in-flight calls may take to finish on stop (default 5 s). */
  readonly shutdownGraceMs?: number;
  /** Where the OTEL_* variables are read (default process.env); tracing is process-wide. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Starts the control plane and resolves once it serves. */
export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn().catch((err: unknown) => logger.error({ err }, "shutdown step failed"));
  };
  try {
    // First in, last out: spans of the shutdown itself are flushed too.
    const tracing = await startTracing(options.env ?? process.env, logger);
    if (tracing) cleanups.push(() => tracing.shutdown());
    let databaseUrl = config.databaseUrl;
    if (databaseUrl === undefined) {
      const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
      logger.info({ dataDir: config.dataDir }, "embedded PostgreSQL started");
    }
    await checkDatabaseReachable(databaseUrl, 5000);
    const orm = await openOrm({ url: databaseUrl, logger, poolSize: config.databasePoolSize });
    // Bounded: a connection stuck on a frozen database must not keep the process from exiting.
    cleanups.push(() => Promise.race([orm.close(true), new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref())]));

    const keyring = await importKeySet(await loadOrCreateKeySet(config.signingKeysFile ?? join(config.dataDir, "keys", "jwks.json")));
    const accounts = new ServiceAccountStore(orm);
    const bootstrap = await bootstrapAdmin(accounts, { dataDir: config.dataDir, adminPassword: config.adminPassword });
    if (bootstrap.created || !(await hasAnyRole(orm))) await bootstrapRbac(orm, adminAccountName);
    const authorizer = new Authorizer(orm);
    const secrets = await openSecretStore(orm, config, logger);
    if (bootstrap.created) {
      logger.info(
        { passwordFile: bootstrap.passwordFile },
        bootstrap.passwordFile
          ? `created the admin account; its password is in ${bootstrap.passwordFile}`
          : "created the admin account with the password from RAWORC_ADMIN_PASSWORD",
      );
    }

    const authenticator = new Authenticator({
      accounts,
      keyring,
      throttle: new LoginThrottle(),
      issuer: config.issuer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      sessions: new SessionStore(orm),
    });
    const notifier = new Notifier(databaseUrl, logger);
    await notifier.start();
    cleanups.push(() => notifier.close());
    const sessions = new SessionStore(orm);
    const replicaId = `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
    const webhooks = new WebhookStore(orm, secrets.keyring);
    const rekeyed = await webhooks.reencryptWithCurrentKey();
    if (rekeyed.reencrypted > 0) logger.info({ count: rekeyed.reencrypted }, "re-encrypted webhook signing secrets under the current secrets key");
    if (rekeyed.unreadable > 0) logger.warn({ count: rekeyed.unreadable }, `${rekeyed.unreadable} webhook signing secret(s) cannot be read with the configured secrets keys; rotate those webhooks' secrets`);
    const deliveries = new DeliveryStore(orm);
    const checkAddress = webhookAddressCheck(config.webhooks.allowPrivate);
    const shutdown = new AbortController();
    const health = new HealthState(servedServices);
    const metrics = createMetrics();
    const ready = async () => {
      await orm.em.getConnection().execute("select 1");
    };

    // Three missed heartbeats end a daemon's stream: that is how a half-open connection is noticed.
    const attach = { heartbeatIntervalMs: config.daemonHeartbeatSeconds * 1000, heartbeatTimeoutMs: config.daemonHeartbeatSeconds * 3000 };
    const rpc = connectNodeAdapter({
      routes: withClientParseErrors(
        registerRoutes({
          authenticator,
          accounts,
          orm,
          authorizer,
          secrets,
          health,
          sessions,
          notifier,
          stopping: shutdown.signal,
          logger,
          attach,
          runtimeKind: config.runtime,
          ...(tracing ? { forwardSpans: (otlpJson: Uint8Array) => tracing.forward(otlpJson) } : {}),
          webhooks: { webhooks, deliveries, checkAddress, allowPrivate: config.webhooks.allowPrivate },
        }),
      ),
      // Outermost first: ids and logs see everything; errors are mapped before they are logged.
      interceptors: [
        // Only when tracing is on: off costs nothing per call.
        ...(tracing ? [tracingInterceptor()] : []),
        requestIdInterceptor(),
        accessLogInterceptor(logger, metrics),
        // Outside error mapping, so the audit log records the code the client receives.
        auditInterceptor({ store: new AuditEventStore(orm), logger, registry: metrics.registry }),
        errorMappingInterceptor(logger),
        authorizationInterceptor(authenticator, authorizer),
        createValidateInterceptor(),
      ],
      readMaxBytes: config.maxMessageBytes,
      writeMaxBytes: config.maxMessageBytes,
      contextValues: (req) =>
        createContextValues()
          .set(kRequestId, requestIdFrom(req.headers["x-request-id"]))
          .set(kClientAddress, req.socket?.remoteAddress ?? ""),
      fallback: webEndpoints({ apiDocs: config.apiDocs, console: config.console }, plainEndpoints({ ready, metrics: metrics.registry })),
    });
    // CORS sees every request first: a preflight is answered here, an allowed origin's call gets its headers.
    const cors = corsHandler(config.corsOrigins);
    const handler: DualHandler = (req, res) => {
      if (!cors(req, res)) rpc(req, res);
    };

    const listener = await listenOnePort(handler, { host: config.host, port: config.port, tls: config.tls });
    cleanups.push(() => listener.close(options.shutdownGraceMs ?? 5000));
    // Runs before the listener closes (cleanups run in reverse): watches end and clients resume elsewhere.
    cleanups.push(() => Promise.resolve(shutdown.abort()));
    const scheme = config.tls ? "https" : "http";
    const host = config.host.includes(":") ? `[${config.host}]` : config.host;
    const url = `${scheme}://${host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host}:${listener.port}`;

    // Sessions: the runtime and the reconciler start once the URL daemons attach to is known.
    const runtime = await createSessionRuntime(config, logger, tracing ? { [daemonEnv.traces]: "attach" } : {});
    cleanups.push(() => runtime.close());
    const reconciler = new Reconciler({
      orm,
      store: sessions,
      runtime,
      notifier,
      logger,
      replicaId,
      controlPlaneUrl: config.daemonControlPlaneUrl ?? url,
      issueDaemonToken: async (id, tokenGeneration) => (await issueDaemonToken({ keyring, issuer: config.issuer }, { id, tokenGeneration })).token,
      policy: { maxRestarts: config.maxDaemonRestarts, restartBackoffBaseMs: 500, restartBackoffMaxMs: 30_000, startTimeoutMs: 60_000 },
      defaultIdleTimeoutMs: config.sessionIdleTimeoutSeconds * 1000,
    });
    if (options.reconcile ?? true) {
      await reconciler.start();
      // Cleanups run in reverse: the loop stops, then the sessions are paused, then the runtime closes.
      if (config.stopSessionsOnExit) {
        cleanups.push(async () => {
          const paused = await reconciler.pauseAll("ServerStopped");
          logger.info({ paused }, "paused the running sessions (stop sessions on exit)");
        });
      }
      cleanups.push(() => reconciler.stop());
    }
    const dispatcher = new WebhookDispatcher({ orm, webhooks, deliveries, accounts, authorizer, notifier, logger, replicaId, checkAddress, settings: config.webhooks });
    dispatcher.start();
    cleanups.push(() => dispatcher.stop());
    logger.info({ url, runtime: runtime.kind, console: config.console ? `${url}/` : "off", docs: config.apiDocs ? `${url}/docs` : "off" }, "raworc control plane serving");

    let stopping: Promise<void> | undefined;
    return {
      url,
      port: listener.port,
      bootstrap,
      orm,
      async runningSessions() {
        return (await runtime.list()).filter((seen) => seen.daemon === "running" || seen.daemon === "starting").length;
      },
      stop() {
        stopping ??= (async () => {
          health.setAll(Status.NOT_SERVING);
          health.close();
          await cleanup();
          logger.info("raworc control plane stopped");
        })();
        return stopping;
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
