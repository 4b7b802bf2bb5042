import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { startTestServer, type TestServer } from "@raworc/test-support/control-plane.js";

function hasOpenssl(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("TLS on the one port", function () {
  let t: TestServer | undefined;
  let dir = "";
  let ca: Buffer;

  before(async function () {
    if (!hasOpenssl()) this.skip(); // waits for: the openssl command (Debian package openssl)
    dir = await mkdtemp(join(tmpdir(), "raworc-tls-"));
    const [certFile, keyFile] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
      "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile,
    ], { stdio: "ignore" });
    ca = await readFile(certFile);
    t = await startTestServer({ config: { tls: { certFile, keyFile } } });
  });
  after(async () => {
    await t?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("serves https URLs", () => {
    assert.match(t!.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  for (const [name, transport] of [
    ["Connect over HTTP/1.1", () => createConnectTransport({ baseUrl: t!.url, httpVersion: "1.1", nodeOptions: { ca } })],
    ["Connect over HTTP/2", () => createConnectTransport({ baseUrl: t!.url, httpVersion: "2", nodeOptions: { ca } })],
    ["gRPC over HTTP/2", () => createGrpcTransport({ baseUrl: t!.url, nodeOptions: { ca } })],
  ] as const) {
    it(`answers ${name}`, async () => {
      const res = await createClient(AuthService, transport()).login({ username: "admin", password: t!.adminPassword });
      assert.equal(res.principal?.name, "admin");
    });
  }

  it("refuses clients that do not trust its certificate", async () => {
    const untrusting = createClient(AuthService, createConnectTransport({ baseUrl: t!.url, httpVersion: "1.1" }));
    await assert.rejects(untrusting.login({ username: "admin", password: t!.adminPassword }), /certificate/i);
  });
});
