/**
 * The API from a browser's point of view, against a real server on port 0: the OpenAPI
 * document and Swagger UI are served from the installed packages, a "Try it out" call built
 * from the document works, and CORS answers allowed origins only.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";
import { accessTable } from "../rbac/access-table.js";
import { openApiDocumentPath } from "./api-docs.js";
import { corsMaxAgeSeconds } from "./cors.js";

type Operation = { security?: unknown[]; requestBody: { content: Record<string, { schema: { $ref: string } }> } };
type Doc = { servers: { url: string }[]; paths: Record<string, { post: Operation }>; components: { securitySchemes: Record<string, { scheme: string }> } };

const allowed = "https://console.example.com";
const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: "OPTIONS",
    headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type,connect-protocol-version,authorization" },
  });

describe("web endpoints: OpenAPI, Swagger UI, CORS (real server)", function () {
  this.timeout(120_000);
  let server: TestServer;
  let doc: Doc;
  before(async () => {
    server = await startTestServer({ config: { corsOrigins: [allowed, "http://127.0.0.1:5173"] }, reconcile: false });
    doc = JSON.parse(await readFile(openApiDocumentPath("json"), "utf8")) as Doc;
  });
  after(() => server?.stop());

  it("GET /openapi.json and /openapi.yaml serve the generated document without a token", async () => {
    const json = await fetch(`${server.url}/openapi.json`);
    assert.equal(json.status, 200);
    assert.equal(json.headers.get("content-type"), "application/json");
    assert.deepEqual(await json.json(), doc);
    const yaml = await fetch(`${server.url}/openapi.yaml`, { headers: { "accept-encoding": "gzip" } });
    assert.equal(yaml.status, 200);
    assert.match(yaml.headers.get("content-type") ?? "", /^application\/yaml/);
    assert.match(await yaml.text(), /^openapi: 3\.1\.0$/m);
  });

  it("GET /docs is Swagger UI from the installed package, same-origin only", async () => {
    const redirect = await fetch(`${server.url}/docs`, { redirect: "manual" });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/docs/");
    const page = await fetch(`${server.url}/docs/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script src="swagger-ui-bundle\.js"><\/script>/);
    assert.doesNotMatch(html, /https?:\/\//, "the page fetches nothing from elsewhere");
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    const init = await (await fetch(`${server.url}/docs/raworc-docs.js`)).text();
    assert.match(init, /url: "\.\.\/openapi\.json"/);
    assert.match(init, /validatorUrl: null/);
    const bundle = await fetch(`${server.url}/docs/swagger-ui-bundle.js`, { method: "HEAD" });
    assert.equal(bundle.status, 200);
    assert.match(bundle.headers.get("content-type") ?? "", /^text\/javascript/);
    assert.equal((await fetch(`${server.url}/docs/../package.json`)).status, 404);
  });

  it("a Try-it-out request built from the document logs in and calls WhoAmI with the bearer scheme", async () => {
    const base = new URL(doc.servers[0]!.url, `${server.url}/openapi.json`);
    const loginPath = Object.keys(doc.paths).find((p) => p.endsWith("/Login"))!;
    const login = doc.paths[loginPath]!.post;
    assert.deepEqual(login.security, [], "Login needs no token");
    const contentType = Object.keys(login.requestBody.content)[0]!;
    const loginRes = await fetch(new URL(loginPath.slice(1), base), {
      method: "POST",
      headers: { "content-type": contentType, "connect-protocol-version": "1" },
      body: JSON.stringify({ username: "admin", password: server.adminPassword }),
    });
    assert.equal(loginRes.status, 200);
    const { token } = (await loginRes.json()) as { token: string };
    assert.equal(doc.components.securitySchemes.bearer!.scheme, "bearer");
    const whoami = await fetch(new URL("raworc.v1.AuthService/WhoAmI", base), {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    assert.equal(whoami.status, 200);
    assert.equal(((await whoami.json()) as { principal: { name: string } }).principal.name, "admin");
  });

  it("a token without the Bearer scheme is refused with what was expected", async () => {
    const token = (await (await fetch(`${server.url}/raworc.v1.AuthService/Login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username: "admin", password: server.adminPassword }) })).json()) as { token: string };
    const call = (authorization: string) =>
      fetch(`${server.url}/raworc.v1.AuthService/WhoAmI`, { method: "POST", headers: { "content-type": "application/json", authorization }, body: "{}" });
    const bare = await call(token.token);
    assert.equal(bare.status, 401);
    assert.deepEqual(await bare.json(), { code: "unauthenticated", message: "malformed authorization header: expected 'Bearer <token>'" });
    assert.equal((await call(`bearer ${token.token}`)).status, 200, "the scheme is case-insensitive");
  });

  it("the document's public methods are the access table's", () => {
    const documented = Object.entries(doc.paths)
      .filter(([, item]) => Array.isArray(item.post.security) && item.post.security.length === 0)
      .map(([path]) => path.slice(1).replace("/", "."));
    const table = Object.entries(accessTable)
      .filter(([service]) => service.startsWith("raworc.v1."))
      .flatMap(([service, methods]) => Object.entries(methods).filter(([, e]) => e.kind === "public").map(([m]) => `${service}.${m}`));
    assert.deepEqual(documented.sort(), table.sort());
    assert.ok(table.includes(`${AuthService.typeName}.Login`));
  });

  it("CORS: an allowed origin's preflight and call get the Connect headers; credentials stay off", async () => {
    const pre = await preflight(`${server.url}/raworc.v1.AuthService/Login`, allowed);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get("access-control-allow-origin"), allowed);
    assert.match(pre.headers.get("access-control-allow-methods") ?? "", /\bPOST\b/);
    const headers = (pre.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/, */);
    for (const h of ["content-type", "connect-protocol-version", "connect-timeout-ms", "x-grpc-web", "x-user-agent", "grpc-timeout", "authorization"]) assert.ok(headers.includes(h), h);
    assert.equal(pre.headers.get("access-control-max-age"), String(corsMaxAgeSeconds));
    assert.equal(pre.headers.get("access-control-allow-credentials"), null);
    const call = await fetch(`${server.url}/raworc.v1.AuthService/Login`, {
      method: "POST",
      headers: { origin: allowed, "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "wrong-password" }),
    });
    assert.equal(call.status, 401);
    assert.equal(call.headers.get("access-control-allow-origin"), allowed);
    assert.match(call.headers.get("access-control-expose-headers") ?? "", /grpc-status/i);
    assert.match(call.headers.get("vary") ?? "", /Origin/);
  });

  it("CORS: any other origin gets no CORS headers, and its preflight is refused", async () => {
    for (const origin of ["https://evil.example.com", "https://console.example.com.evil.com", "null"]) {
      const pre = await preflight(`${server.url}/raworc.v1.AuthService/Login`, origin);
      assert.equal(pre.status, 403, origin);
      assert.equal(pre.headers.get("access-control-allow-origin"), null, origin);
      const call = await fetch(`${server.url}/raworc.v1.AuthService/Login`, { method: "POST", headers: { origin, "content-type": "application/json" }, body: "{}" });
      assert.equal(call.headers.get("access-control-allow-origin"), null, origin);
    }
  });

  it("RAWORC_API_DOCS=off and no CORS origins: no documents, every preflight refused", async () => {
    await server.restart({ apiDocs: false, corsOrigins: [] });
    assert.equal((await fetch(`${server.url}/openapi.json`)).status, 404);
    assert.equal((await fetch(`${server.url}/docs/`)).status, 404);
    assert.equal((await preflight(`${server.url}/raworc.v1.AuthService/Login`, allowed)).status, 403);
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "the plain endpoints still answer");
  });
});
