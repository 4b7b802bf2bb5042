/** Conversions between the API's roles, bindings and subjects and their stored form. */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  PolicyRuleSchema,
  RoleBindingSchema,
  RoleScope,
  RoleSchema,
  SubjectKind,
  SubjectSchema,
  type PolicyRule,
  type Role,
  type RoleBinding,
  type RoleRef,
  type Subject,
} from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { RoleBindingRow, RoleRow, StoredRule, StoredSubject } from "../store/entities/rbac.js";
import { roleRefOf, type StoredRoleRef } from "../store/role-bindings.js";
import { toObjectMeta } from "./object-meta.js";

const subjectKinds = {
  [SubjectKind.SERVICE_ACCOUNT]: "ServiceAccount",
  [SubjectKind.USER]: "User",
  [SubjectKind.GROUP]: "Group",
} as const satisfies Partial<Record<SubjectKind, StoredSubject["kind"]>>;

/** The stored form of API rules. */
export function storedRules(rules: readonly PolicyRule[]): StoredRule[] {
  return rules.map((r) => ({
    apiGroups: [...r.apiGroups],
    resources: [...r.resources],
    verbs: [...r.verbs],
    resourceNames: [...r.resourceNames],
  }));
}

/** The stored kind of an API subject kind; INVALID_ARGUMENT when unset (validation normally catches it first). */
export function storedSubjectKind(kind: SubjectKind): StoredSubject["kind"] {
  if (kind === SubjectKind.UNSPECIFIED) throw new ConnectError("subject kind is required", Code.InvalidArgument);
  return subjectKinds[kind];
}

/** The stored form of API subjects; only service accounts keep a namespace. */
export function storedSubjects(subjects: readonly Subject[]): StoredSubject[] {
  return subjects.map((s) => {
    const kind = storedSubjectKind(s.kind);
    return { kind, name: s.name, namespace: kind === "ServiceAccount" ? s.namespace : "" };
  });
}

/** The stored form of a role reference; INVALID_ARGUMENT when it is missing or unset. */
export function storedRoleRef(ref: RoleRef | undefined): StoredRoleRef {
  if (!ref || ref.scope === RoleScope.UNSPECIFIED) throw new ConnectError("role_ref.scope is required", Code.InvalidArgument);
  return { scope: ref.scope === RoleScope.GLOBAL ? "global" : "namespace", name: ref.name };
}

/** The API form of a stored role. */
export function toRole(row: RoleRow): Role {
  return create(RoleSchema, {
    metadata: toObjectMeta(row),
    description: row.description,
    rules: row.rules.map((r) => create(PolicyRuleSchema, r)),
  });
}

/** The API form of a stored binding. */
export function toRoleBinding(row: RoleBindingRow): RoleBinding {
  const ref = roleRefOf(row);
  const kindOf = (kind: StoredSubject["kind"]) =>
    kind === "ServiceAccount" ? SubjectKind.SERVICE_ACCOUNT : kind === "User" ? SubjectKind.USER : SubjectKind.GROUP;
  return create(RoleBindingSchema, {
    metadata: toObjectMeta(row),
    roleRef: { scope: ref.scope === "global" ? RoleScope.GLOBAL : RoleScope.NAMESPACE, name: ref.name },
    subjects: row.subjects.map((s) => create(SubjectSchema, { kind: kindOf(s.kind), name: s.name, namespace: s.namespace })),
  });
}
