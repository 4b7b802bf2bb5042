/** Policy rules from flags, with the API group each resource belongs to when none is given. */
import { create } from "@bufbuild/protobuf";
import { PolicyRuleSchema, type PolicyRule } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { UsageError } from "../errors.js";

/** Resources outside the core group, by the group they belong to (proto/raworc/v1/rbac.proto lists them all). */
const groupOfResource: Record<string, string> = { roles: "rbac", rolebindings: "rbac", accessreviews: "rbac", auditevents: "audit" };

/** The API group of a resource (`roles` → rbac, `auditevents` → audit, `*` → `*`, anything else → core); subresources go with their resource. */
export function defaultApiGroup(resource: string): string {
  const base = resource.split("/")[0] ?? resource;
  if (base === "*") return "*";
  return groupOfResource[base] ?? "core";
}

/** What `roles create` takes: verbs, resources, optional groups and names. */
export interface RuleFlags {
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resourceNames?: readonly string[];
}

/**
 * The rules for flags: with `--api-group`, one rule; without, one rule per group the resources
 * belong to (as `kubectl create role` does), e.g. `--resource sessions,roles` gives a core rule
 * and an rbac rule.
 */
export function rulesFromFlags(flags: RuleFlags): PolicyRule[] {
  if (flags.verbs.length === 0) throw new UsageError("--verb is required (e.g. --verb get,list)");
  if (flags.resources.length === 0) throw new UsageError("--resource is required (e.g. --resource sessions)");
  const resourceNames = [...(flags.resourceNames ?? [])];
  const rule = (apiGroups: string[], resources: string[]) => create(PolicyRuleSchema, { apiGroups, resources, verbs: [...flags.verbs], resourceNames });
  if (flags.apiGroups && flags.apiGroups.length > 0) return [rule([...flags.apiGroups], [...flags.resources])];
  const byGroup = new Map<string, string[]>();
  for (const resource of flags.resources) {
    const group = defaultApiGroup(resource);
    byGroup.set(group, [...(byGroup.get(group) ?? []), resource]);
  }
  return [...byGroup].map(([group, resources]) => rule([group], resources));
}
