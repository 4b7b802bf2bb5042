/**
 * Escalation prevention as in Kubernetes: a caller may write a role only with permissions it
 * already holds in the role's scope (or with `escalate` on rbac/roles), and may bind a role only
 * when it holds the role's permissions in the binding's scope (or `bind` on rbac/roles for that
 * role's name). Refusals name the first permission not held.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { AuthenticatedCaller } from "../context.js";
import { Authorizer } from "./authorizer.js";
import { describePermission, firstUncovered, rulesAllow, type Rule } from "./rules.js";

/** Where an object lives and what it is called ("" namespace = global). */
interface Ref {
  readonly namespace: string;
  readonly name: string;
}

const callerName = (c: AuthenticatedCaller) => `serviceaccount "${c.namespace ? `${c.namespace}/${c.name}` : c.name}"`;
const scopeName = (namespace: string) => (namespace ? `in namespace "${namespace}"` : "globally");
const refName = (r: Ref) => (r.namespace ? `${r.namespace}/${r.name}` : r.name);

/** Refuses (PERMISSION_DENIED) writing `role` with `rules` unless the caller holds them there or may escalate. */
export async function assertMayWriteRole(authorizer: Authorizer, caller: AuthenticatedCaller, role: Ref, rules: readonly Rule[]): Promise<void> {
  const held = Authorizer.rulesIn(await authorizer.grantedRules(caller), role.namespace);
  const missing = firstUncovered(held, rules);
  if (!missing) return;
  if (rulesAllow(held, { group: "rbac", resource: "roles", subresource: "", verb: "escalate", namespace: role.namespace, name: role.name })) return;
  throw new ConnectError(
    `${callerName(caller)} cannot write role "${refName(role)}": it would grant ${describePermission(missing)}, ` +
      `which the caller does not hold ${scopeName(role.namespace)} (escalate on rbac/roles would allow it)`,
    Code.PermissionDenied,
  );
}

/** What a binding grants: the role it names, and that role's rules. */
export interface BoundRole {
  readonly scope: "namespace" | "global";
  readonly name: string;
  readonly rules: readonly Rule[];
}

/** Refuses (PERMISSION_DENIED) a binding of `role` unless the caller holds its rules in the binding's scope or may bind it. */
export async function assertMayBind(authorizer: Authorizer, caller: AuthenticatedCaller, binding: Ref, role: BoundRole): Promise<void> {
  const held = Authorizer.rulesIn(await authorizer.grantedRules(caller), binding.namespace);
  const missing = firstUncovered(held, role.rules);
  if (!missing) return;
  if (rulesAllow(held, { group: "rbac", resource: "roles", subresource: "", verb: "bind", namespace: binding.namespace, name: role.name })) return;
  throw new ConnectError(
    `${callerName(caller)} cannot bind ${role.scope} role "${role.name}" ${scopeName(binding.namespace)}: it grants ` +
      `${describePermission(missing)}, which the caller does not hold there (bind on rbac/roles "${role.name}" would allow it)`,
    Code.PermissionDenied,
  );
}
