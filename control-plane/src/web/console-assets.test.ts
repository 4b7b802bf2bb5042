/** The console's files as the server hands them out: built files only, a rebuild served at once, nothing outside dist/. */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { webEndpoints } from "./web-endpoints.js";

/** GET with the path sent exactly as given (fetch would normalise dot segments away). */
function rawGet(port: number, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject).end();
  });
}

describe("console files", () => {
  let root: string;
  let dist: string;
  let server: Server;
  let port: number;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), "raworc-console-"));
    dist = join(root, "dist");
    await mkdir(join(dist, "assets"), { recursive: true });
    await writeFile(join(root, "secret.txt"), "not for the web");
    await writeFile(join(dist, "index.html"), "<!doctype html><p>one</p>");
    await writeFile(join(dist, "assets", "index-abc.js"), "console.log(1)");
    const handler = webEndpoints({ apiDocs: false, console: true, consoleDir: dist }, (_req, res) => {
      res.writeHead(404);
      res.end("next");
    });
    server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(root, { recursive: true, force: true });
  });

  it("serves index.html at / under the console's CSP, and hashed assets for good", async () => {
    const index = await rawGet(port, "/");
    assert.equal(index.status, 200);
    assert.equal(index.body, "<!doctype html><p>one</p>");
    assert.match(String(index.headers["content-security-policy"]), /require-trusted-types-for 'script'/);
    assert.equal(index.headers["cache-control"], "no-cache");
    assert.equal(index.headers["x-content-type-options"], "nosniff");
    const asset = await rawGet(port, "/assets/index-abc.js");
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers["cache-control"]), /immutable/);
  });

  it("serves a rebuilt index.html without a restart", async () => {
    await writeFile(join(dist, "index.html"), "<!doctype html><p>two</p>");
    const later = new Date(Date.now() + 5000);
    await utimes(join(dist, "index.html"), later, later);
    assert.equal((await rawGet(port, "/")).body, "<!doctype html><p>two</p>");
  });

  it("reaches nothing outside dist/ and nothing it does not have", async () => {
    for (const path of ["/../secret.txt", "/assets/../../secret.txt", "/assets/..%2F..%2Fsecret.txt", "/%2e%2e/secret.txt", "/assets/missing.js", "/assets/", "/index.html/x"]) {
      const res = await rawGet(port, path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body, "next", path);
    }
  });

  it("says how to build the console when it is not built", async () => {
    const handler = webEndpoints({ apiDocs: false, console: true, consoleDir: join(root, "nowhere") }, () => assert.fail("not passed on"));
    const empty = createServer(handler);
    await new Promise<void>((resolve) => empty.listen(0, "127.0.0.1", resolve));
    try {
      const res = await rawGet((empty.address() as AddressInfo).port, "/");
      assert.equal(res.status, 503);
      assert.match(res.body, /npm run build/);
    } finally {
      await new Promise<void>((resolve) => empty.close(() => resolve()));
    }
  });
});
