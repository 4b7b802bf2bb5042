import assert from "node:assert/strict";
import { parse } from "yaml";
import { UsageError } from "./errors.js";
import { formatOutput, formatTable, parseOutputFormat, tableOf } from "./output.js";

describe("output formats", () => {
  it("aligns table columns under upper-cased headings", () => {
    const text = formatTable({ columns: ["name", "kind", "groups"], rows: [["admin", "ServiceAccount", ["a", "b"]], ["x", undefined, []]] });
    assert.equal(text, ["NAME   KIND            GROUPS", "admin  ServiceAccount  a,b", "x"].join("\n") + "\n");
  });

  it("renders the same value as JSON, YAML or a table", () => {
    const value = { principal: { name: "admin" } };
    const table = () => ({ columns: ["name"], rows: [["admin"]] });
    assert.deepEqual(JSON.parse(formatOutput(value, "json", table)), value);
    assert.deepEqual(parse(formatOutput(value, "yaml", table)), value);
    assert.equal(formatOutput(value, "table", table), "NAME\nadmin\n");
  });

  it("checks -o values and applies the command's default", () => {
    assert.equal(parseOutputFormat(undefined, "json"), "json");
    assert.equal(parseOutputFormat("yaml", "table"), "yaml");
    assert.throws(() => parseOutputFormat("xml", "table"), UsageError);
  });

  it("tabulates any message: rows of its one list, else field/value pairs", () => {
    const list = tableOf({ items: [{ metadata: { name: "a" }, active: true }, { metadata: { name: "b" } }], nextPageToken: "n" });
    assert.deepEqual(list, { columns: ["metadata.name", "active"], rows: [["a", true], ["b", undefined]] });
    assert.deepEqual(tableOf({ token: "t", expiresAt: "2030-01-01T00:00:00Z" }).rows, [["token", "t"], ["expiresAt", "2030-01-01T00:00:00Z"]]);
  });
});
