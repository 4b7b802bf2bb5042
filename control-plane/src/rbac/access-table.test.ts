import assert from "node:assert/strict";
import { registry } from "@raworc/proto";
import { accessTable } from "./access-table.js";

describe("access table", () => {
  const services = [...registry].filter((d) => d.kind === "service");

  it("covers every method of every service the server knows, exactly", () => {
    const missing: string[] = [];
    for (const service of services) {
      for (const method of service.methods) {
        if (accessTable[service.typeName]?.[method.name] === undefined) missing.push(`${service.typeName}/${method.name}`);
      }
    }
    assert.deepEqual(missing, [], "every RPC needs an access entry");
  });

  it("names no method that does not exist", () => {
    const known = new Set(services.flatMap((s) => s.methods.map((m) => `${s.typeName}/${m.name}`)));
    const stale = Object.entries(accessTable).flatMap(([service, methods]) =>
      Object.keys(methods).map((m) => `${service}/${m}`).filter((key) => !known.has(key)),
    );
    assert.deepEqual(stale, []);
  });

  it("keeps only login and the gRPC infrastructure public", () => {
    const open = Object.entries(accessTable).flatMap(([service, methods]) =>
      Object.entries(methods).filter(([, r]) => r.kind === "public").map(([m]) => `${service}/${m}`),
    );
    assert.deepEqual(open.filter((m) => m.startsWith("raworc.")), ["raworc.v1.AuthService/Login"]);
  });
});
