/** Every migration, in order. Hand-written SQL; a test checks they match the entities exactly. */
import type { MigrationObject } from "@mikro-orm/core";
import { Migration0001ServiceAccounts } from "./0001-service-accounts.js";
import { Migration0002RbacNamespaces } from "./0002-rbac-namespaces.js";
import { Migration0003AuditEvents } from "./0003-audit-events.js";
import { Migration0004Secrets } from "./0004-secrets.js";
import { Migration0005Agents } from "./0005-agents.js";
import { Migration0006Sessions } from "./0006-sessions.js";
import { Migration0007SessionCheckpoints } from "./0007-session-checkpoints.js";
import { Migration0008RbacVersion } from "./0008-rbac-version.js";
import { Migration0009SessionNamesAfterTermination } from "./0009-session-names-after-termination.js";
import { Migration0010Webhooks } from "./0010-webhooks.js";

/** The ordered migration list given to MikroORM's migrator. */
export const migrations: MigrationObject[] = [
  { name: "0001-service-accounts", class: Migration0001ServiceAccounts },
  { name: "0002-rbac-namespaces", class: Migration0002RbacNamespaces },
  { name: "0003-audit-events", class: Migration0003AuditEvents },
  { name: "0004-secrets", class: Migration0004Secrets },
  { name: "0005-agents", class: Migration0005Agents },
  { name: "0006-sessions", class: Migration0006Sessions },
  { name: "0007-session-checkpoints", class: Migration0007SessionCheckpoints },
  { name: "0008-rbac-version", class: Migration0008RbacVersion },
  { name: "0009-session-names-after-termination", class: Migration0009SessionNamesAfterTermination },
  { name: "0010-webhooks", class: Migration0010Webhooks },
];
