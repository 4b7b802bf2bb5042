/** The services the server exposes, registered on a Connect router. */
import type { ConnectRouter } from "@connectrpc/connect";
import { registry } from "@raworc/proto";
import { Health } from "@raworc/proto/gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "@raworc/proto/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "@raworc/proto/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { SecretService } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import { ServiceAccountService } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import { createAuthService } from "./api/auth-service.js";
import { createHealthService, type HealthState } from "./api/health-service.js";
import { createReflectionV1, createReflectionV1alpha } from "./api/reflection-service.js";
import { createSecretService } from "./api/secret-service.js";
import { createServiceAccountService } from "./api/service-account-service.js";
import type { Authenticator } from "./auth/authenticator.js";
import type { SecretStore } from "./store/secrets.js";
import type { ServiceAccountStore } from "./store/service-accounts.js";

/** The domain objects the handlers need. */
export interface RouteDependencies {
  readonly authenticator: Authenticator;
  readonly accounts: ServiceAccountStore;
  readonly secrets: SecretStore;
  readonly health: HealthState;
}

/** Fully qualified names of the services this server implements (for health and reflection). */
export const servedServices = [
  AuthService.typeName,
  ServiceAccountService.typeName,
  SecretService.typeName,
  Health.typeName,
  ReflectionV1.typeName,
  ReflectionV1alpha.typeName,
] as const;

/** Registers every service on the router. */
export function registerRoutes(deps: RouteDependencies): (router: ConnectRouter) => void {
  return (router) => {
    router.service(AuthService, createAuthService(deps.authenticator));
    router.service(ServiceAccountService, createServiceAccountService(deps.accounts));
    router.service(SecretService, createSecretService(deps.secrets));
    router.service(Health, createHealthService(deps.health));
    router.service(ReflectionV1, createReflectionV1(registry, servedServices));
    router.service(ReflectionV1alpha, createReflectionV1alpha(registry, servedServices));
  };
}
