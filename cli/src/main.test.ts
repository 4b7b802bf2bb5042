import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { parse } from "yaml";
import type { CliConfig } from "./config-file.js";
import { runRaworc, type RaworcResult } from "./testing/raworc-process.js";

/** Whatever fails, a user must never see a stack trace. */
function assertNoStack(result: RaworcResult): void {
  assert.doesNotMatch(result.stderr, /\n\s+at /, `no stack trace in: ${result.stderr}`);
}

describe("raworc (end to end, against a real server)", function () {
  this.timeout(120_000);
  let server: TestServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const raworc = (args: string[], input?: string, extraEnv: NodeJS.ProcessEnv = {}) => runRaworc(args, { env: { ...env, ...extraEnv }, input });
  const readConfig = async () => parse(await readFile(env.RAWORC_CONFIG as string, "utf8")) as CliConfig;
  const loginAsAdmin = () => raworc(["login", "--server", server.url, "--username", "admin", "--password-stdin"], `${server.adminPassword}\n`);

  before(async () => {
    server = await startTestServer();
  });
  after(() => server?.stop());
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "raworc-cli-e2e-"));
    env = { RAWORC_CONFIG: join(dir, "raworc", "config.yaml") };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("logs in with --password-stdin, saves a 0600 context, and whoami shows admin", async () => {
    const login = await loginAsAdmin();
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /Logged in to http:\/\/127\.0\.0\.1:\d+ as admin/);
    assert.equal((await stat(env.RAWORC_CONFIG as string)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, "raworc"))).mode & 0o777, 0o700);
    const config = await readConfig();
    const current = config.contexts[config.currentContext ?? ""];
    assert.equal(current?.server, server.url);
    assert.equal(current?.username, "admin");
    assert.ok(current?.token);

    const table = await raworc(["whoami"]);
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^NAME\s+KIND\s+NAMESPACE\s+GROUPS\s+EXPIRES$/);
    assert.match(row ?? "", /^admin\s/);

    const yaml = await raworc(["whoami", "-o", "yaml"]);
    assert.equal((parse(yaml.stdout) as { principal: { name: string } }).principal.name, "admin");
  });

  it("calls any RPC with `api`, printing its JSON response", async () => {
    assert.equal((await loginAsAdmin()).code, 0);
    for (const args of [["raworc.v1.AuthService/WhoAmI"], ["AuthService.WhoAmI", "{}"], ["AuthService/WhoAmI", "-"]]) {
      const res = await raworc(["api", ...args], args[1] === "-" ? "{}" : undefined);
      assert.equal(res.code, 0, res.stderr);
      const json = JSON.parse(res.stdout) as { principal: { name: string }; expiresAt: string };
      assert.equal(json.principal.name, "admin", args.join(" "));
      assert.ok(!Number.isNaN(Date.parse(json.expiresAt)), "timestamps print as RFC 3339");
    }
  });

  it("fails clearly on malformed JSON, unknown fields, server-side validation and unknown methods", async () => {
    assert.equal((await loginAsAdmin()).code, 0);
    const malformed = await raworc(["api", "AuthService/WhoAmI", "{nope"]);
    assert.notEqual(malformed.code, 0);
    assert.match(malformed.stderr, /^raworc: the request is not valid JSON: /);
    assertNoStack(malformed);

    const unknownField = await raworc(["api", "AuthService/Login", '{"user": "admin"}']);
    assert.notEqual(unknownField.code, 0);
    assert.match(unknownField.stderr, /^raworc: the request is not a valid raworc\.v1\.LoginRequest: .*user/);

    const invalid = await raworc(["api", "AuthService/Login", '{"username": "", "password": "x"}']);
    assert.notEqual(invalid.code, 0);
    assert.match(invalid.stderr, /^raworc: invalid_argument: /);
    assert.match(invalid.stderr, /username/);
    assertNoStack(invalid);

    const unknown = await raworc(["api", "AuthService/WhoAmU"]);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown method "AuthService\/WhoAmU"; did you mean:\n {2}raworc\.v1\.AuthService\/WhoAmI/);
  });

  it("rejects a wrong password with a clear message and keeps no context", async () => {
    const res = await raworc(["login", "--server", server.url, "--username", "admin", "--password-stdin"], "wrong-password\n");
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /^raworc: unauthenticated: /);
    assertNoStack(res);
    await assert.rejects(stat(env.RAWORC_CONFIG as string), { code: "ENOENT" });
  });

  it("refuses --password-stdin with empty input", async () => {
    const res = await raworc(["login", "--server", server.url, "--username", "admin", "--password-stdin"], "");
    assert.notEqual(res.code, 0);
    assert.equal(res.stderr, "raworc: --password-stdin: standard input is empty\n");
  });

  it("logs out: the token is revoked on the server and removed from the context", async () => {
    assert.equal((await loginAsAdmin()).code, 0);
    const token = (await readConfig()).contexts[(await readConfig()).currentContext ?? ""]?.token;
    const logout = await raworc(["logout"]);
    assert.equal(logout.code, 0, logout.stderr);
    const after = await readConfig();
    assert.equal(after.contexts[after.currentContext ?? ""]?.token, undefined);

    const whoami = await raworc(["whoami"]);
    assert.notEqual(whoami.code, 0);
    assert.match(whoami.stderr, /^raworc: unauthenticated: .*\n {2}\(log in with: raworc login\)\n$/);
    const revoked = await raworc(["whoami"], undefined, { RAWORC_TOKEN: token });
    assert.notEqual(revoked.code, 0);
    assert.match(revoked.stderr, /^raworc: unauthenticated: /);
  });

  it("manages contexts and honours RAWORC_SERVER and RAWORC_TOKEN", async () => {
    assert.equal((await raworc(["login", "--context", "one", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword)).code, 0);
    assert.equal((await raworc(["login", "--context", "two", "--server", server.url, "-u", "admin", "--password-stdin"], server.adminPassword)).code, 0);
    assert.equal((await raworc(["config", "current-context"])).stdout, "two\n");
    assert.equal((await raworc(["config", "use-context", "one"])).code, 0);
    const listed = JSON.parse((await raworc(["config", "get-contexts", "-o", "json"])).stdout) as { name: string; current: boolean }[];
    assert.deepEqual(listed.map((c) => [c.name, c.current]), [["one", true], ["two", false]]);
    assert.ok(!JSON.stringify(listed).includes("token"), "listings never show tokens");
    assert.equal((await raworc(["config", "delete-context", "one"])).code, 0);
    const missing = await raworc(["config", "use-context", "one"]);
    assert.equal(missing.stderr, 'raworc: no context named "one" (see: raworc config get-contexts)\n');

    const token = (await readConfig()).contexts.two?.token;
    const viaEnv = await runRaworc(["whoami", "-o", "json"], { env: { RAWORC_CONFIG: join(dir, "none.yaml"), RAWORC_SERVER: server.url, RAWORC_TOKEN: token } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal((JSON.parse(viaEnv.stdout) as { principal: { name: string } }).principal.name, "admin");
  });
});
