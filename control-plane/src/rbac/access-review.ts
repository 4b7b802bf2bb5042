/** Answers "may this subject do this?" with the reason: the binding and role that allow it, or none. */
import type { Authorizer, Grant, SubjectIdentity } from "./authorizer.js";
import { rulesAllow, type Attributes } from "./rules.js";

/** The answer to an access question. */
export interface AccessReview {
  readonly allowed: boolean;
  readonly reason: string;
}

/** A subject in words, e.g. `serviceaccount "team-a/alice"`. */
export function describeSubject(s: SubjectIdentity): string {
  if (s.kind === "ServiceAccount") return `serviceaccount "${s.namespace ? `${s.namespace}/${s.name}` : s.name}"`;
  return `${s.kind.toLowerCase()} "${s.name}"`;
}

function describeRequest(a: Attributes): string {
  const what = `${a.group}/${a.resource}${a.subresource ? `/${a.subresource}` : ""}`;
  const named = a.name ? ` named "${a.name}"` : "";
  return `${a.verb} on ${what}${named} ${a.namespace ? `in namespace "${a.namespace}"` : "globally"}`;
}

function describeGrant(g: Grant): string {
  const binding = g.namespace ? `RoleBinding "${g.namespace}/${g.bindingName}"` : `global RoleBinding "${g.bindingName}"`;
  return `${binding} of ${g.roleScope} role "${g.roleName}"`;
}

/** Reviews whether `subject` may do `a`, naming the first binding that allows it. */
export async function reviewAccess(authorizer: Authorizer, subject: SubjectIdentity, a: Attributes): Promise<AccessReview> {
  // The same scoping as Authorizer.rulesIn: global bindings everywhere, namespaced ones only at home.
  const grant = (await authorizer.grants(subject)).find(
    (g) => (g.namespace === "" || g.namespace === a.namespace) && rulesAllow(g.rules, a),
  );
  return grant
    ? { allowed: true, reason: `allowed by ${describeGrant(grant)}` }
    : { allowed: false, reason: `no role bound to ${describeSubject(subject)} grants ${describeRequest(a)}` };
}
