/** The services the server exposes, registered on a Connect router. */
import type { ConnectRouter } from "@connectrpc/connect";
import { registry } from "@raworc/proto";
import { Health } from "@raworc/proto/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "@raworc/proto/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "@raworc/proto/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AgentService } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { AuditService } from "@raworc/proto/gen/raworc/v1/audit_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { NamespaceService } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import { RbacService } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { RuntimeService } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { WebhookService } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { createAgentService } from "./api/agent-service.js";
import { createAuditService } from "./api/audit-service.js";
import { createAuthService } from "./api/auth-service.js";
import { createHealthService, type HealthState } from "./api/health-service.js";
import { createNamespaceService } from "./api/namespace-service.js";
import { createRbacService } from "./api/rbac-service.js";
import { createReflectionV1, createReflectionV1alpha } from "./api/reflection-service.js";
import { createRuntimeService } from "./api/runtime-service.js";
import { createSecretService } from "./api/secret-service.js";
import { createServiceAccountService } from "./api/service-account-service.js";
import { createWebhookService, type WebhookServiceOptions } from "./api/webhook-service.js";
import { createSessionService } from "./api/session-service.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { Logger } from "./logger.js";
import type { Authorizer } from "./rbac/authorizer.js";
import type { AttachOptions } from "./sessions/attach/options.js";
import type { Notifier } from "./sessions/notifier.js";
import type { SessionStore } from "./sessions/session-store.js";
import { AgentStore } from "./store/agents.js";
import { AuditEventStore } from "./store/audit-events.js";
import { NamespaceStore } from "./store/namespaces.js";
import type { Orm } from "./store/orm.js";
import { RoleBindingStore } from "./store/role-bindings.js";
import { RoleStore } from "./store/roles.js";
import type { SecretStore } from "./store/secrets.js";
import type { ServiceAccountStore } from "./store/service-accounts.js";

/** The domain objects the handlers need. */
export interface RouteDependencies {
  readonly authenticator: Authenticator;
  readonly accounts: ServiceAccountStore;
  readonly orm: Orm;
  readonly authorizer: Authorizer;
  readonly secrets: SecretStore;
  readonly health: HealthState;
  readonly sessions: SessionStore;
  readonly notifier: Notifier;
  /** Aborted when the server stops, so long-lived streams (watches) end promptly. */
  readonly stopping: AbortSignal;
  /** The runtime kind new sessions are placed on. */
  readonly runtimeKind?: "process" | "kubernetes";
  /** Where handlers with something to say about long-lived streams (daemon attach/detach) log. */
  readonly logger?: Logger;
  /** Heartbeat and batching settings of daemon attach streams; defaults when absent. */
  readonly attach?: Partial<AttachOptions>;
  /** Where daemons' spans go (tracing on); absent, they are dropped. */
  readonly forwardSpans?: (otlpJson: Uint8Array) => void;
  /** Webhook stores and the target policy. */
  readonly webhooks: WebhookServiceOptions;
}

/** Fully qualified names of the services this server implements (for health and reflection). */
export const servedServices = [
  AuthService.typeName,
  ServiceAccountService.typeName,
  NamespaceService.typeName,
  RbacService.typeName,
  SecretService.typeName,
  AgentService.typeName,
  SessionService.typeName,
  RuntimeService.typeName,
  AuditService.typeName,
  WebhookService.typeName,
  Health.typeName,
  ReflectionV1.typeName,
  ReflectionV1alpha.typeName,
] as const;

/**
 * A watch is woken by NOTIFY for each stored batch of its session's events, and by a wake-up of
 * every listener when the LISTEN connection comes back, so its own poll is only a fallback: at
 * the watch's 1 s default, 100 idle watchers made 200 queries/s (a page and the session's state
 * each) and starved the pool. Polling at the heartbeat interval bounds a lost hint's delay.
 */
const watchOptions = { pollMs: 15_000 } as const;

/** Registers every service on the router. */
export function registerRoutes(deps: RouteDependencies): (router: ConnectRouter) => void {
  return (router) => {
    router.service(AuthService, createAuthService(deps.authenticator));
    router.service(ServiceAccountService, createServiceAccountService(deps.accounts));
    router.service(NamespaceService, createNamespaceService(new NamespaceStore(deps.orm)));
    router.service(RbacService, createRbacService({ roles: new RoleStore(deps.orm), bindings: new RoleBindingStore(deps.orm), authorizer: deps.authorizer }));
    router.service(SecretService, createSecretService(deps.secrets));
    router.service(AgentService, createAgentService(new AgentStore(deps.orm)));
    router.service(
      SessionService,
      createSessionService({ orm: deps.orm, sessions: deps.sessions, notifier: deps.notifier, stopping: deps.stopping, runtime: deps.runtimeKind, watch: watchOptions }),
    );
    router.service(
      RuntimeService,
      createRuntimeService({ orm: deps.orm, secrets: deps.secrets, notifier: deps.notifier, stopping: deps.stopping, logger: deps.logger, options: deps.attach, forwardSpans: deps.forwardSpans }),
    );
    router.service(AuditService, createAuditService(new AuditEventStore(deps.orm)));
    router.service(WebhookService, createWebhookService(deps.webhooks));
    router.service(Health, createHealthService(deps.health));
    router.service(ReflectionV1, createReflectionV1(registry, servedServices));
    router.service(ReflectionV1alpha, createReflectionV1alpha(registry, servedServices));
  };
}
