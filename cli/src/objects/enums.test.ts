import assert from "node:assert/strict";
import { RoleBindingSchema, RoleScope, RoleScopeSchema, SubjectKind, SubjectKindSchema } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import { UsageError } from "../errors.js";
import { enumChoices, enumShortName, normalizeEnums, parseEnum } from "./enums.js";

describe("enum names", () => {
  it("accepts every spelling of a value: full, unprefixed, PascalCase, lower case, with - or _", () => {
    for (const text of ["SUBJECT_KIND_SERVICE_ACCOUNT", "SERVICE_ACCOUNT", "ServiceAccount", "serviceaccount", "service-account", "service_account"]) {
      assert.equal(parseEnum(SubjectKindSchema, text), SubjectKind.SERVICE_ACCOUNT, text);
    }
    assert.equal(parseEnum(RoleScopeSchema, "global"), RoleScope.GLOBAL);
    assert.equal(parseEnum(RoleScopeSchema, "ROLE_SCOPE_NAMESPACE"), RoleScope.NAMESPACE);
  });

  it("refuses unknown values and the unspecified zero value, listing the choices", () => {
    assert.throws(() => parseEnum(SubjectKindSchema, "Robot", "subject kind"), {
      name: "UsageError",
      message: 'unknown subject kind "Robot" (use one of: ServiceAccount, User, Group)',
    });
    assert.throws(() => parseEnum(RoleScopeSchema, "unspecified"), UsageError);
  });

  it("shows values in short PascalCase", () => {
    assert.equal(enumShortName(SubjectKindSchema, SubjectKind.SERVICE_ACCOUNT), "ServiceAccount");
    assert.deepEqual(enumChoices(RoleScopeSchema), ["Namespace", "Global"]);
  });

  it("rewrites short enum names to full ones at any depth, under camelCase or snake_case keys", () => {
    const json = {
      metadata: { name: "b" },
      role_ref: { scope: "global", name: "dev" },
      subjects: [{ kind: "ServiceAccount", name: "a", namespace: "t" }, { kind: 3, name: "g" }],
      unknownKey: "left for fromJson",
    };
    assert.deepEqual(normalizeEnums(RoleBindingSchema, json), {
      metadata: { name: "b" },
      role_ref: { scope: "ROLE_SCOPE_GLOBAL", name: "dev" },
      subjects: [{ kind: "SUBJECT_KIND_SERVICE_ACCOUNT", name: "a", namespace: "t" }, { kind: 3, name: "g" }],
      unknownKey: "left for fromJson",
    });
    assert.throws(() => normalizeEnums(RoleBindingSchema, { subjects: [{ kind: "Robot" }] }), { message: /unknown subjects\[0\]\.kind value "Robot"/ });
  });
});
