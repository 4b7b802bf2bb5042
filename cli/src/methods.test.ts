import assert from "node:assert/strict";
import { raworcFiles } from "@raworc/proto";
import { UsageError } from "./errors.js";
import { findMethod, fullMethodName, listMethods } from "./methods.js";

describe("method lookup", () => {
  it("accepts the full, short and dotted forms, in any case", () => {
    for (const name of ["raworc.v1.AuthService/WhoAmI", "AuthService/WhoAmI", "AuthService.WhoAmI", "raworc.v1.AuthService.WhoAmI", "authservice/whoami"]) {
      assert.equal(fullMethodName(findMethod(name)), "raworc.v1.AuthService/WhoAmI", name);
    }
  });

  it("lists every method of every raworc.v1 service in the registry", () => {
    const listed = new Set(listMethods().map(fullMethodName));
    const declared = raworcFiles.flatMap((f) => f.services.flatMap((s) => s.methods.map(fullMethodName)));
    assert.ok(declared.length > 0);
    for (const name of declared) assert.ok(listed.has(name), `${name} is callable`);
  });

  it("answers an unknown method with close matches", () => {
    assert.throws(
      () => findMethod("AuthService/WhoAmU"),
      (e: unknown) => e instanceof UsageError && e.message.startsWith('unknown method "AuthService/WhoAmU"; did you mean:\n  raworc.v1.AuthService/WhoAmI'),
    );
    assert.throws(() => findMethod("Zzzzzzzz"), (e: unknown) => e instanceof UsageError && e.message.includes("raworc api --list"));
  });

  it("refuses an ambiguous short name and lists the candidates", () => {
    assert.throws(
      () => findMethod("ServerReflection/ServerReflectionInfo"),
      (e: unknown) =>
        e instanceof UsageError &&
        e.message.includes("grpc.reflection.v1.ServerReflection/ServerReflectionInfo") &&
        e.message.includes("grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"),
    );
  });
});
