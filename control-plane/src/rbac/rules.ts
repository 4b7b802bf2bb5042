/**
 * Rule matching and covering with Kubernetes RBAC semantics, so an operator who knows
 * Kubernetes can predict every decision: allow-only rules, `*` wildcards, `resource/subresource`
 * resources (`sessions` does not match `sessions/messages`; `*\/messages` matches any
 * resource's messages; `*` matches everything), and empty resource names meaning any name.
 */

/** One allow rule. */
export interface Rule {
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames: readonly string[];
}

/** What a request wants to do: the one check an RPC maps to. */
export interface Attributes {
  readonly group: string;
  /** The resource, e.g. "sessions". */
  readonly resource: string;
  /** The subresource, e.g. "messages", or "". */
  readonly subresource: string;
  readonly verb: string;
  /** The namespace acted in; "" for global objects. */
  readonly namespace: string;
  /** The object's name; "" for list and create-without-name. */
  readonly name: string;
}

/** One permission: a single (group, resource, verb, name) tuple; name "" means any name. */
export interface Permission {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  readonly name: string;
}

const all = "*";

function resourceMatches(ruleResources: readonly string[], resource: string, subresource: string): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  return ruleResources.some(
    (r) => r === all || r === combined || (subresource !== "" && r === `*/${subresource}`),
  );
}

/** Whether one rule allows the request. */
export function ruleMatches(rule: Rule, a: Attributes): boolean {
  return (
    (rule.verbs.includes(all) || rule.verbs.includes(a.verb)) &&
    (rule.apiGroups.includes(all) || rule.apiGroups.includes(a.group)) &&
    resourceMatches(rule.resources, a.resource, a.subresource) &&
    (rule.resourceNames.length === 0 || (a.name !== "" && rule.resourceNames.includes(a.name)))
  );
}

/** Whether any of the rules allows the request (deny by default). */
export function rulesAllow(rules: readonly Rule[], a: Attributes): boolean {
  return rules.some((rule) => ruleMatches(rule, a));
}

/** Splits rules into single permissions, the unit in which covering is decided. */
export function permissionsOf(rules: readonly Rule[]): Permission[] {
  const out: Permission[] = [];
  for (const rule of rules) {
    const names = rule.resourceNames.length === 0 ? [""] : rule.resourceNames;
    for (const group of rule.apiGroups)
      for (const resource of rule.resources)
        for (const verb of rule.verbs) for (const name of names) out.push({ group, resource, verb, name });
  }
  return out;
}

function resourceCovers(owner: string, wanted: string): boolean {
  if (owner === all || owner === wanted) return true;
  // A list never covers "*": only "*" does. "*/x" covers "r/x" for any r, and "*/x" itself.
  const slash = wanted.indexOf("/");
  return slash > 0 && owner === `*/${wanted.slice(slash + 1)}`;
}

function ruleCovers(owner: Rule, p: Permission): boolean {
  return (
    (owner.verbs.includes(all) || owner.verbs.includes(p.verb)) &&
    (owner.apiGroups.includes(all) || owner.apiGroups.includes(p.group)) &&
    owner.resources.some((r) => resourceCovers(r, p.resource)) &&
    (owner.resourceNames.length === 0 || (p.name !== "" && owner.resourceNames.includes(p.name)))
  );
}

/**
 * The first permission of `wanted` that `held` does not cover, or undefined when every one is
 * covered. This is the escalation check: a role or binding may only grant what one holds.
 */
export function firstUncovered(held: readonly Rule[], wanted: readonly Rule[]): Permission | undefined {
  return permissionsOf(wanted).find((p) => !held.some((rule) => ruleCovers(rule, p)));
}

/** A permission in words, for PERMISSION_DENIED messages. */
export function describePermission(p: Permission): string {
  return `${p.verb} on ${p.group}/${p.resource}${p.name ? ` named ${p.name}` : ""}`;
}
