/** Role binding subjects and role references as people type and read them: `ServiceAccount:team-a/alice`, `GlobalRole/developer`. */
import { create } from "@bufbuild/protobuf";
import { RoleScope, RoleScopeSchema, SubjectKind, SubjectKindSchema, SubjectSchema, type RoleRef, type Subject } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { UsageError } from "../errors.js";
import { enumShortName, parseEnum } from "./enums.js";

/** Short kind names accepted before the colon besides the enum's own spellings. */
const kindAliases: Record<string, SubjectKind> = { sa: SubjectKind.SERVICE_ACCOUNT };

/**
 * A service account as `namespace/name` (also `namespace:name`, as kubectl writes it), or `name`
 * for a global account; never "the binding's namespace", as in the API.
 */
export function parseServiceAccountSubject(text: string): Subject {
  const match = /^(?:([^/:]*)[/:])?([^/:]+)$/.exec(text.trim());
  if (!match) throw new UsageError(`invalid service account "${text}" (use namespace/name, or name for a global account)`);
  return create(SubjectSchema, { kind: SubjectKind.SERVICE_ACCOUNT, namespace: match[1] ?? "", name: match[2] ?? "" });
}

/**
 * A subject as `KIND:ref`: `ServiceAccount:team-a/alice` (or `sa:team-a/alice`), `User:bob`,
 * `Group:devs`; without a kind, a service account.
 */
export function parseSubject(text: string): Subject {
  const colon = text.indexOf(":");
  const slash = text.indexOf("/");
  // "team-a:alice" is kubectl's service-account spelling, not a kind.
  if (colon < 0 || (slash >= 0 && slash < colon)) return parseServiceAccountSubject(text);
  const kindText = text.slice(0, colon);
  const rest = text.slice(colon + 1);
  let kind = kindAliases[kindText.toLowerCase()];
  if (kind === undefined) {
    try {
      kind = parseEnum(SubjectKindSchema, kindText, "subject kind");
    } catch {
      // Not a kind: treat the whole text as kubectl's namespace:name.
      return parseServiceAccountSubject(text);
    }
  }
  if (kind === SubjectKind.SERVICE_ACCOUNT) return parseServiceAccountSubject(rest);
  if (!rest) throw new UsageError(`subject "${text}" has no name`);
  return create(SubjectSchema, { kind, name: rest });
}

/** A subject as {@link parseSubject} reads it, e.g. `ServiceAccount:team-a/alice`. */
export function formatSubject(subject: Subject): string {
  const kind = enumShortName(SubjectKindSchema, subject.kind);
  const name = subject.namespace ? `${subject.namespace}/${subject.name}` : subject.name;
  return `${kind}:${name}`;
}

/** A role reference: `GlobalRole/developer` or `Role/dev` (in the binding's namespace). */
export function formatRoleRef(ref: RoleRef | undefined): string {
  if (!ref) return "";
  const scope = ref.scope === RoleScope.GLOBAL ? "GlobalRole" : ref.scope === RoleScope.NAMESPACE ? "Role" : enumShortName(RoleScopeSchema, ref.scope);
  return `${scope}/${ref.name}`;
}
