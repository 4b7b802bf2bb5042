/**
 * Who may call each RPC. Every method of every service the server knows must have exactly
 * one entry (a test enforces it), so nothing is reachable by omission.
 *
 * Until role-based access control lands, a method is public, open to any authenticated
 * user, restricted to the bootstrap admin, or reserved for session daemons.
 */

/** The access requirement of one RPC. */
export type AccessRequirement = "public" | "authenticated" | "admin" | "daemon";

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
};

/** The requirement of a method, or undefined when the table lacks it (callers deny). */
export function accessRequirement(service: string, method: string): AccessRequirement | undefined {
  return accessTable[service]?.[method];
}
