/**
 * Who may call each RPC. Every method of every service the server knows must have exactly
 * one entry (a test enforces it), so nothing is reachable by omission.
 *
 * Until role-based access control lands, a method is public, open to any authenticated
 * user, restricted to the bootstrap admin, or reserved for session daemons.
 */

/** The access requirement of one RPC. */
export type AccessRequirement = "public" | "authenticated" | "admin" | "daemon";

const adminOnly = (...methods: string[]): Record<string, AccessRequirement> =>
  Object.fromEntries(methods.map((m) => [m, "admin" as const]));

/** Requirements by service type name, then method name. */
export const accessTable: Readonly<Record<string, Readonly<Record<string, AccessRequirement>>>> = {
  "grpc.health.v1.Health": { Check: "public", List: "public", Watch: "public" },
  "grpc.reflection.v1.ServerReflection": { ServerReflectionInfo: "public" },
  "grpc.reflection.v1alpha.ServerReflection": { ServerReflectionInfo: "public" },
  "raworc.v1.AuthService": {
    Login: "public",
    WhoAmI: "authenticated",
    Logout: "authenticated",
    ChangePassword: "authenticated",
  },
  "raworc.v1.ServiceAccountService": {
    CreateServiceAccount: "admin",
    GetServiceAccount: "admin",
    ListServiceAccounts: "admin",
    UpdateServiceAccount: "admin",
    DeleteServiceAccount: "admin",
    SetServiceAccountPassword: "admin",
  },
  // Declared in the API, implemented by later work; admin-only until role-based checks land.
  "raworc.v1.NamespaceService": adminOnly("CreateNamespace", "GetNamespace", "ListNamespaces", "DeleteNamespace"),
  "raworc.v1.RbacService": adminOnly(
    "CreateRole",
    "GetRole",
    "ListRoles",
    "UpdateRole",
    "DeleteRole",
    "CreateRoleBinding",
    "GetRoleBinding",
    "ListRoleBindings",
    "UpdateRoleBinding",
    "DeleteRoleBinding",
    "CheckAccess",
  ),
  "raworc.v1.SecretService": adminOnly("CreateSecret", "GetSecret", "ListSecrets", "UpdateSecret", "DeleteSecret"),
  "raworc.v1.AgentService": adminOnly("CreateAgent", "GetAgent", "ListAgents", "UpdateAgent", "DeleteAgent"),
  "raworc.v1.SessionService": adminOnly(
    "CreateSession",
    "GetSession",
    "ListSessions",
    "DeleteSession",
    "PauseSession",
    "ResumeSession",
    "RemixSession",
    "SendMessage",
    "ListEvents",
    "WatchSession",
    "CancelTurn",
    "ApproveToolCall",
    "ListTurns",
  ),
  "raworc.v1.AuditService": adminOnly("ListAuditEvents"),
  "raworc.v1.RuntimeService": { Attach: "daemon" },
};

/** The requirement of a method, or undefined when the table lacks it (callers deny). */
export function accessRequirement(service: string, method: string): AccessRequirement | undefined {
  return accessTable[service]?.[method];
}
