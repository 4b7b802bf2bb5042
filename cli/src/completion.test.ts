import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { completeLine } from "./completion.js";
import { replCompletionSpec } from "./repl.js";

describe("tab completion", () => {
  const io = { stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {} };
  const spec = replCompletionSpec(io);
  const complete = (line: string) => completeLine(line, spec);

  it("completes command names, with or without a leading slash", () => {
    assert.deepEqual(complete("who"), [["whoami"], "who"]);
    assert.deepEqual(complete("/lo"), [["/login", "/logout"], "/lo"]);
    assert.ok(complete("")[0].includes("exit"));
    assert.ok(complete("")[0].includes("api"));
  });

  it("completes RPC names after api, in full or short form", () => {
    assert.deepEqual(complete("/api raworc.v1.AuthService/Who"), [["raworc.v1.AuthService/WhoAmI"], "raworc.v1.AuthService/Who"]);
    assert.deepEqual(complete("api AuthService/Log"), [["AuthService/Login", "AuthService/Logout"], "AuthService/Log"]);
    assert.ok(complete("api -o yaml raworc.v1.")[0].includes("raworc.v1.ServiceAccountService/ListServiceAccounts"));
    assert.deepEqual(complete("api AuthService/WhoAmI {"), [[], "{"]);
  });

  it("completes subcommands and options", () => {
    assert.deepEqual(complete("config use"), [["use-context"], "use"]);
    assert.deepEqual(complete("login --pass"), [["--password-stdin"], "--pass"]);
    assert.deepEqual(complete("whoami --out"), [["--output"], "--out"]);
    assert.deepEqual(complete("sa set"), [["set-password"], "set"]);
    assert.deepEqual(complete("rolebindings cr"), [["create"], "cr"]);
    assert.deepEqual(complete("auth "), [["can-i"], ""]);
  });
});
