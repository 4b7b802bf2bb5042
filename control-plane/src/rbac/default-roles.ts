/** The roles every installation starts with, and the admin's global binding. */
import type { StoredRule } from "../store/entities/rbac.js";

const rule = (apiGroups: string[], resources: string[], verbs: string[]): StoredRule => ({ apiGroups, resources, verbs, resourceNames: [] });

const sessionActions = [
  "sessions/pause",
  "sessions/resume",
  "sessions/remix",
  "sessions/messages",
  "sessions/cancel",
  "sessions/approvals",
];
const sessionReads = ["sessions/events", "sessions/turns"];
const webhookActions = ["webhooks/rotate", "webhooks/replay"];
const readVerbs = ["get", "list", "watch"];

/** Global roles created on first start (never overwritten afterwards: operators may edit them). */
export const defaultRoles: readonly { name: string; description: string; rules: StoredRule[] }[] = [
  {
    name: "admin",
    description: "Everything, everywhere it is bound.",
    rules: [rule(["*"], ["*"], ["*"])],
  },
  {
    name: "developer",
    description: "Agents, sessions, secrets and webhooks: create, change, run and delete them.",
    rules: [
      rule(["core"], ["agents", "secrets", "sessions", "webhooks"], ["get", "list", "watch", "create", "update", "delete"]),
      rule(["core"], sessionActions, ["create"]),
      rule(["core"], sessionReads, ["list", "watch"]),
      rule(["core"], webhookActions, ["create"]),
      rule(["core"], ["webhooks/deliveries"], ["list"]),
      rule(["core"], ["namespaces"], ["get"]),
    ],
  },
  {
    name: "operator",
    description: "Sessions: run, pause, resume, remix, message and delete them; read agents.",
    rules: [
      rule(["core"], ["sessions"], ["get", "list", "watch", "create", "delete"]),
      rule(["core"], sessionActions, ["create"]),
      rule(["core"], sessionReads, ["list", "watch"]),
      rule(["core"], ["agents"], readVerbs),
      rule(["core"], ["namespaces"], ["get"]),
    ],
  },
  {
    name: "viewer",
    // No webhooks: their URLs often carry a token (chat incoming-webhook URLs do).
    description: "Read agents, sessions and their events; no secrets.",
    rules: [
      rule(["core"], ["agents", "sessions", "namespaces"], readVerbs),
      rule(["core"], sessionReads, ["list", "watch"]),
    ],
  },
];

/** Name of the global binding that makes the bootstrap account an admin. */
export const adminBindingName = "bootstrap-admin";
