import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { labelSelectorSql, parseLabelSelector } from "./label-selector.js";

describe("label selectors", () => {
  it("parses every Kubernetes form", () => {
    assert.deepEqual(parseLabelSelector("app=web, tier==db,env!=prod,team in (a, b),zone notin (x),owner,!legacy,example.com/x=y"), [
      { key: "app", op: "in", values: ["web"] },
      { key: "tier", op: "in", values: ["db"] },
      { key: "env", op: "notin", values: ["prod"] },
      { key: "team", op: "in", values: ["a", "b"] },
      { key: "zone", op: "notin", values: ["x"] },
      { key: "owner", op: "exists" },
      { key: "legacy", op: "!exists" },
      { key: "example.com/x", op: "in", values: ["y"] },
    ]);
    assert.deepEqual(parseLabelSelector("  "), []);
  });

  it("refuses malformed selectors with INVALID_ARGUMENT", () => {
    for (const bad of ["a=b,", "=b", "a in (b", "a=b c", "a=(b)", "a in b)", "bad key=v", "-a=b", "a=" + "x".repeat(64)]) {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: unknown) => e instanceof ConnectError && e.code === Code.InvalidArgument,
        bad,
      );
    }
  });

  it("renders parameterised SQL, never splicing values", () => {
    const sql = labelSelectorSql(parseLabelSelector("app=web,env!=prod,owner"));
    assert.deepEqual(sql, {
      sql: "(labels ->> ?) in (?) and ((labels ->> ?) is null or (labels ->> ?) not in (?)) and jsonb_exists(labels, ?)",
      params: ["app", "web", "env", "env", "prod", "owner"],
    });
    assert.equal(labelSelectorSql([]), undefined);
  });
});
