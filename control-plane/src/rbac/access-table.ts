/**
 * The one authorization table: every RPC of every service maps to exactly one entry (a test
 * enforces it). Most entries are a single RBAC check (group, resource, subresource, verb,
 * namespace, name) read from the request; a few are public, need only a valid user token, or
 * are reserved for session daemons.
 */

/** Anything a request message may carry that names its target. */
type AnyRequest = Record<string, unknown>;

/** A single RBAC check derived from a request. */
export interface CheckSpec {
  readonly kind: "check";
  readonly group: string;
  readonly resource: string;
  readonly subresource: string;
  readonly verb: string;
  /** Whether the call changes state (audited even when it succeeds). */
  readonly mutating: boolean;
  /** The namespace the call acts in ("" for global objects, or a list across namespaces). */
  readonly namespace: (req: AnyRequest) => string;
  /** The object's name ("" for list and create-with-generated-name). */
  readonly name: (req: AnyRequest) => string;
}

/** The access requirement of one RPC. */
export type AccessEntry =
  | { readonly kind: "public" }
  | { readonly kind: "authenticated"; readonly mutating: boolean }
  | { readonly kind: "daemon" }
  | CheckSpec;

const field = (obj: unknown, key: string): unknown => (obj && typeof obj === "object" ? (obj as AnyRequest)[key] : undefined);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Reads `req[key].namespace` / `.name` (ObjectRef fields). */
const refNs = (key: string) => (req: AnyRequest) => str(field(field(req, key), "namespace"));
const refName = (key: string) => (req: AnyRequest) => str(field(field(req, key), "name"));
/** Reads `req[key].metadata.namespace` / `.name` (objects in create and update requests). */
const metaNs = (key: string) => (req: AnyRequest) => str(field(field(field(req, key), "metadata"), "namespace"));
const metaName = (key: string) => (req: AnyRequest) => str(field(field(field(req, key), "metadata"), "name"));
const plain = (key: string) => (req: AnyRequest) => str(field(req, key));
const none = () => "";

const mutatingVerbs = new Set(["create", "update", "delete", "escalate", "bind"]);

function check(group: string, resourcePath: string, verb: string, namespace: CheckSpec["namespace"], name: CheckSpec["name"]): CheckSpec {
  const [resource = "", subresource = ""] = resourcePath.split("/");
  return { kind: "check", group, resource, subresource, verb, mutating: mutatingVerbs.has(verb), namespace, name };
}

/** CRUD entries for a namespaced or global kind whose requests use `ref`, `namespace` and `<objectField>`. */
function crud(group: string, resource: string, objectField: string, methods: { create: string; get: string; list: string; update: string; delete: string }) {
  return {
    [methods.create]: check(group, resource, "create", metaNs(objectField), metaName(objectField)),
    [methods.get]: check(group, resource, "get", refNs("ref"), refName("ref")),
    [methods.list]: check(group, resource, "list", plain("namespace"), none),
    [methods.update]: check(group, resource, "update", metaNs(objectField), metaName(objectField)),
    [methods.delete]: check(group, resource, "delete", refNs("ref"), refName("ref")),
  };
}

const verbsFor = (kind: string, plural = `${kind}s`) => ({
  create: `Create${kind}`,
  get: `Get${kind}`,
  list: `List${plural}`,
  update: `Update${kind}`,
  delete: `Delete${kind}`,
});

const session = (sub: string, verb: string, key = "ref") => check("core", `sessions/${sub}`, verb, refNs(key), refName(key));

/** Entries by service type name, then method name. */
export const accessTable: Readonly<Record<string, Readonly<Record<string, AccessEntry>>>> = {
  "grpc.health.v1.Health": { Check: { kind: "public" }, List: { kind: "public" }, Watch: { kind: "public" } },
  "grpc.reflection.v1.ServerReflection": { ServerReflectionInfo: { kind: "public" } },
  "grpc.reflection.v1alpha.ServerReflection": { ServerReflectionInfo: { kind: "public" } },
  "raworc.v1.AuthService": {
    Login: { kind: "public" },
    WhoAmI: { kind: "authenticated", mutating: false },
    Logout: { kind: "authenticated", mutating: true },
    ChangePassword: { kind: "authenticated", mutating: true },
  },
  "raworc.v1.ServiceAccountService": {
    ...crud("core", "serviceaccounts", "serviceAccount", verbsFor("ServiceAccount")),
    SetServiceAccountPassword: check("core", "serviceaccounts/password", "update", refNs("ref"), refName("ref")),
  },
  "raworc.v1.NamespaceService": {
    CreateNamespace: check("core", "namespaces", "create", none, metaName("namespace")),
    // As in Kubernetes, a request about one namespace is checked in that namespace, so a
    // binding there may grant get (or delete) on it; creating and listing need global grants.
    GetNamespace: check("core", "namespaces", "get", plain("name"), plain("name")),
    ListNamespaces: check("core", "namespaces", "list", none, none),
    DeleteNamespace: check("core", "namespaces", "delete", plain("name"), plain("name")),
  },
  "raworc.v1.RbacService": {
    ...crud("rbac", "roles", "role", verbsFor("Role")),
    ...crud("rbac", "rolebindings", "roleBinding", verbsFor("RoleBinding")),
    // Asking about oneself needs no permission; the handler checks rbac/accessreviews otherwise.
    CheckAccess: { kind: "authenticated", mutating: false },
  },
  "raworc.v1.SecretService": crud("core", "secrets", "secret", verbsFor("Secret")),
  "raworc.v1.AgentService": crud("core", "agents", "agent", verbsFor("Agent")),
  "raworc.v1.SessionService": {
    CreateSession: check("core", "sessions", "create", metaNs("session"), metaName("session")),
    GetSession: check("core", "sessions", "get", refNs("ref"), refName("ref")),
    ListSessions: check("core", "sessions", "list", plain("namespace"), none),
    DeleteSession: check("core", "sessions", "delete", refNs("ref"), refName("ref")),
    PauseSession: session("pause", "create"),
    ResumeSession: session("resume", "create"),
    RemixSession: session("remix", "create", "source"),
    SendMessage: session("messages", "create"),
    ListEvents: session("events", "list"),
    WatchSession: session("events", "watch"),
    CancelTurn: session("cancel", "create"),
    ApproveToolCall: session("approvals", "create"),
    ListTurns: session("turns", "list"),
  },
  "raworc.v1.WebhookService": {
    ...crud("core", "webhooks", "webhook", verbsFor("Webhook")),
    RotateWebhookSecret: check("core", "webhooks/rotate", "create", refNs("ref"), refName("ref")),
    ListWebhookDeliveries: check("core", "webhooks/deliveries", "list", refNs("ref"), refName("ref")),
    ReplayWebhookDelivery: check("core", "webhooks/replay", "create", refNs("ref"), refName("ref")),
  },
  "raworc.v1.AuditService": { ListAuditEvents: check("audit", "auditevents", "list", plain("namespace"), none) },
  "raworc.v1.RuntimeService": { Attach: { kind: "daemon" } },
};

/** The entry of a method, or undefined when the table lacks it (callers deny). */
export function accessEntry(service: string, method: string): AccessEntry | undefined {
  return accessTable[service]?.[method];
}
