/** Every entity schema the ORM manages. */
import { AgentSchema } from "./agent.js";
import { AuditEventSchema } from "./audit-event.js";
import { NamespaceSchema, RbacVersionSchema, RoleBindingSchema, RoleSchema } from "./rbac.js";
import { SecretSchema } from "./secret.js";
import { ServiceAccountSchema } from "./service-account.js";
import { WebhookAttemptSchema, WebhookDeliverySchema, WebhookSchema } from "./webhook.js";
import { SessionCheckpointSchema, SessionEventSchema, SessionSchema, SessionTransitionSchema, SessionWorkItemSchema } from "./session.js";

/** The entity list given to MikroORM. */
export const entities = [ServiceAccountSchema, RoleSchema, RoleBindingSchema, RbacVersionSchema, NamespaceSchema, SecretSchema, AgentSchema, AuditEventSchema, SessionSchema, SessionTransitionSchema, SessionEventSchema, SessionWorkItemSchema, SessionCheckpointSchema, WebhookSchema, WebhookDeliverySchema, WebhookAttemptSchema];
