import assert from "node:assert/strict";
import { entities } from "./entities/index.js";
import { namespacedEntities } from "./namespaces.js";

// Rows that must outlive their namespace: the audit log is append-only.
const outliveTheirNamespace = new Set(["AuditEvent"]);

describe("namespace deletion", () => {
  it("removes every kind of namespaced object: each entity with a namespace column is listed", () => {
    const listed = new Set<string>(namespacedEntities.map((e) => e.meta.className));
    const forgotten = entities
      .filter((e) => "namespace" in e.meta.properties)
      .map((e) => e.meta.className)
      .filter((name) => !listed.has(name) && !outliveTheirNamespace.has(name));
    assert.deepEqual(forgotten, [], "add these to namespacedEntities in store/namespaces.ts, or say why they outlive a namespace");
  });
});
