/**
 * Decides whether a principal may do something, from the roles bound to it: a global binding
 * grants its role's rules everywhere, a namespaced binding only in its namespace.
 */
import type { Orm } from "../store/orm.js";
import type { StoredRule, StoredSubject } from "../store/entities/rbac.js";
import { rulesAllow, type Attributes, type Rule } from "./rules.js";

/** Who is asking: enough to match binding subjects ("Group" only when reviewing a group's access). */
export interface SubjectIdentity {
  readonly kind: "ServiceAccount" | "User" | "Group";
  readonly namespace: string;
  readonly name: string;
  readonly groups: readonly string[];
  /** The RBAC version read on this call (see RbacVersionSchema); without it, grants are read afresh. */
  readonly rbacVersion?: string | undefined;
}

/** The groups every service account belongs to implicitly, as in Kubernetes. */
export function implicitGroups(account: { namespace: string }): string[] {
  const groups = ["system:authenticated", "system:serviceaccounts"];
  if (account.namespace) groups.push(`system:serviceaccounts:${account.namespace}`);
  return groups;
}

/** Rules granted to a principal, by the namespace of the binding that grants them ("" = global). */
export type GrantedRules = ReadonlyMap<string, readonly Rule[]>;

/** One binding that applies to a subject, with the rules of the role it grants. */
export interface Grant {
  /** The binding's namespace ("" = global). */
  readonly namespace: string;
  readonly bindingName: string;
  readonly roleScope: "namespace" | "global";
  readonly roleName: string;
  readonly rules: readonly Rule[];
}

/** Most subjects whose grants are kept. */
const maxCachedSubjects = 10_000;

/**
 * Evaluates RBAC against the bindings and roles stored in PostgreSQL. A subject that comes with
 * the RBAC version read on its call has its grants read once per version and kept: any change to
 * roles or bindings moves the version on in its own transaction, so the next call on any replica
 * reads afresh. The grants are read after the version, so they are never older than it.
 */
export class Authorizer {
  /** Grants by version and subject, least recently used first; only the newest version's are kept. */
  private readonly cache = new Map<string, readonly Grant[]>();
  private newestVersion = -1n;

  constructor(private readonly orm: Orm) {}

  /** Every binding that applies to the subject, with its role's rules (bindings to missing roles grant nothing). */
  async grants(subject: SubjectIdentity): Promise<readonly Grant[]> {
    const matchers: StoredSubject[] = [
      { kind: subject.kind, name: subject.name, namespace: subject.kind === "ServiceAccount" ? subject.namespace : "" },
      ...subject.groups.map((name): StoredSubject => ({ kind: "Group", name, namespace: "" })),
    ];
    if (subject.rbacVersion === undefined) return this.readGrants(matchers);
    const version = BigInt(subject.rbacVersion);
    if (version > this.newestVersion) {
      this.newestVersion = version;
      this.cache.clear();
    }
    const key = `${version}\n${JSON.stringify(matchers)}`;
    const kept = this.cache.get(key);
    if (kept) {
      this.cache.delete(key);
      this.cache.set(key, kept);
      return kept;
    }
    const grants = await this.readGrants(matchers);
    // A call that read an older version than one seen since must not store under it: nobody asks for it again.
    if (version === this.newestVersion) {
      this.cache.set(key, grants);
      if (this.cache.size > maxCachedSubjects) this.cache.delete(this.cache.keys().next().value!);
    }
    return grants;
  }

  private async readGrants(matchers: readonly StoredSubject[]): Promise<Grant[]> {
    // One query: bindings whose subjects contain any matcher (GIN index), joined to their role.
    const rows = await this.orm.em.getConnection().execute<
      { namespace: string; name: string; role_scope: "namespace" | "global"; role_name: string; rules: StoredRule[] }[]
    >(
      `select b.namespace, b.name, b.role_scope, b.role_name, r.rules
         from role_bindings b
         join roles r on r.name = b.role_name
                     and r.namespace = case when b.role_scope = 'global' then '' else b.namespace end
        where ${matchers.map(() => "b.subjects @> ?::jsonb").join(" or ")}
        order by b.namespace, b.name`,
      matchers.map((m) => JSON.stringify([m.kind === "Group" ? { kind: m.kind, name: m.name } : m])),
    );
    return rows.map((row) => ({
      namespace: row.namespace,
      bindingName: row.name,
      roleScope: row.role_scope,
      roleName: row.role_name,
      rules: row.rules,
    }));
  }

  /** Every rule granted to the subject, grouped by the binding's namespace. */
  async grantedRules(subject: SubjectIdentity): Promise<GrantedRules> {
    const byNamespace = new Map<string, Rule[]>();
    for (const grant of await this.grants(subject)) {
      const list = byNamespace.get(grant.namespace) ?? [];
      list.push(...grant.rules);
      byNamespace.set(grant.namespace, list);
    }
    return byNamespace;
  }

  /** The rules in force for the subject in a namespace ("" = global scope: global bindings only). */
  static rulesIn(granted: GrantedRules, namespace: string): Rule[] {
    return [...(granted.get("") ?? []), ...(namespace ? (granted.get(namespace) ?? []) : [])];
  }

  /** Whether the subject may do what the attributes say. */
  async allows(subject: SubjectIdentity, a: Attributes): Promise<boolean> {
    return rulesAllow(Authorizer.rulesIn(await this.grantedRules(subject), a.namespace), a);
  }

  /**
   * Where the subject may do `a` (whose namespace is ignored) across namespaces: everywhere when
   * a global binding allows it, else the namespaces whose bindings allow it.
   */
  async namespacesAllowing(subject: SubjectIdentity, a: Omit<Attributes, "namespace">): Promise<{ all: true } | { all: false; namespaces: string[] }> {
    const granted = await this.grantedRules(subject);
    if (rulesAllow(granted.get("") ?? [], { ...a, namespace: "" })) return { all: true };
    const namespaces = [...granted.entries()]
      .filter(([ns, rules]) => ns !== "" && rulesAllow(rules, { ...a, namespace: ns }))
      .map(([ns]) => ns);
    return { all: false, namespaces };
  }
}
