/**
 * RbacService.CheckAccess: "can I …?" for the caller, free of charge; "can they …?" for another
 * subject, which needs create on rbac/accessreviews in the namespace asked about.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { SubjectKind, type CheckAccessRequest, type CheckAccessResponse, type Subject } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { AuthenticatedCaller } from "../context.js";
import { denialMessage } from "../interceptors/authorization.js";
import { reviewAccess } from "../rbac/access-review.js";
import { implicitGroups, type Authorizer, type SubjectIdentity } from "../rbac/authorizer.js";
import type { Attributes } from "../rbac/rules.js";
import { storedSubjectKind } from "./rbac-objects.js";

/** The identity a subject of the request stands for, with the groups it belongs to. */
export function subjectIdentity(subject: Subject, extraGroups: readonly string[]): SubjectIdentity {
  const kind = storedSubjectKind(subject.kind);
  const groups =
    kind === "ServiceAccount"
      ? implicitGroups({ namespace: subject.namespace })
      : kind === "User"
        ? ["system:authenticated"]
        : [];
  return {
    kind,
    namespace: kind === "ServiceAccount" ? subject.namespace : "",
    name: subject.name,
    groups: [...new Set([...groups, ...extraGroups])],
  };
}

function isCaller(caller: AuthenticatedCaller, subject: Subject, extraGroups: readonly string[]): boolean {
  return (
    subject.kind === SubjectKind.SERVICE_ACCOUNT &&
    subject.namespace === caller.namespace &&
    subject.name === caller.name &&
    extraGroups.length === 0
  );
}

/** Answers one CheckAccess request for `caller`. */
export async function checkAccess(authorizer: Authorizer, caller: AuthenticatedCaller, req: CheckAccessRequest): Promise<Pick<CheckAccessResponse, "allowed" | "reason">> {
  const asked: Attributes = {
    group: req.apiGroup,
    resource: req.resource,
    subresource: req.subresource,
    verb: req.verb,
    namespace: req.namespace,
    name: req.name,
  };
  if (!req.subject || isCaller(caller, req.subject, req.groups)) return reviewAccess(authorizer, caller, asked);
  const review: Attributes = { group: "rbac", resource: "accessreviews", subresource: "", verb: "create", namespace: req.namespace, name: "" };
  if (!(await authorizer.allows(caller, review))) throw new ConnectError(denialMessage(caller, review), Code.PermissionDenied);
  return reviewAccess(authorizer, subjectIdentity(req.subject, req.groups), asked);
}
