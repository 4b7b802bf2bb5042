/** The web settings: RAWORC_CORS_ORIGINS, RAWORC_API_DOCS, RAWORC_CONSOLE. */
import assert from "node:assert/strict";
import { loadServerConfig } from "../config.js";

describe("web settings", () => {
  it("defaults: no CORS origin, docs public, console on", () => {
    const c = loadServerConfig({}, {});
    assert.deepEqual([c.corsOrigins, c.apiDocs, c.console], [[], true, true]);
  });

  it("RAWORC_CORS_ORIGINS is a comma-separated list of origins, lower-cased; * allows any", () => {
    assert.deepEqual(loadServerConfig({}, { RAWORC_CORS_ORIGINS: " https://App.example.com , http://[::1]:5173,http://localhost:3000" }).corsOrigins, [
      "https://app.example.com",
      "http://[::1]:5173",
      "http://localhost:3000",
    ]);
    assert.deepEqual(loadServerConfig({}, { RAWORC_CORS_ORIGINS: "*" }).corsOrigins, ["*"]);
  });

  it("an origin with a path, a trailing slash or another scheme is a one-line error naming the variable", () => {
    for (const bad of ["https://app.example.com/", "https://app.example.com/console", "ftp://x", "app.example.com"]) {
      assert.throws(() => loadServerConfig({}, { RAWORC_CORS_ORIGINS: bad }), /^ConfigurationError: invalid configuration: RAWORC_CORS_ORIGINS must be comma-separated origins/, bad);
    }
  });

  it("RAWORC_API_DOCS=off and RAWORC_CONSOLE=off turn them off; other values are refused", () => {
    const c = loadServerConfig({}, { RAWORC_API_DOCS: "off", RAWORC_CONSOLE: "off" });
    assert.deepEqual([c.apiDocs, c.console], [false, false]);
    assert.throws(() => loadServerConfig({}, { RAWORC_API_DOCS: "private" }), /RAWORC_API_DOCS/);
  });
});
