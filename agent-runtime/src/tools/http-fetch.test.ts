import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { isPublicAddress } from "./egress-policy.js";
import { createHttpFetchTool, type HttpFetchOptions } from "./http-fetch.js";
import { toolContext } from "./test-helpers.js";

// Every request goes to the test server on 127.0.0.1; refusals must happen before any connection.
describe("http_fetch", () => {
  let server: Server;
  let port = 0;
  let requests: string[] = [];

  before(async () => {
    server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url} host=${req.headers.host}`);
      if (req.url === "/hello") res.end("hello");
      else if (req.url === "/big") res.end("b".repeat(100_000));
      else if (req.url === "/echo") req.pipe(res);
      else if (req.url === "/to-hello") res.writeHead(302, { location: "/hello" }).end();
      else if (req.url === "/to-metadata") res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      else if (req.url === "/to-localhost") res.writeHead(307, { location: `http://localhost:${port}/hello` }).end();
      else if (req.url === "/loop") res.writeHead(302, { location: "/loop" }).end();
      else if (req.url === "/slow") setTimeout(() => res.end("late"), 5000);
      else res.writeHead(404).end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests = [];
  });

  const local = (extra: Partial<HttpFetchOptions> = {}): HttpFetchOptions => ({
    allowHosts: [`127.0.0.1:${port}`],
    allowPrivateNetwork: true,
    ...extra,
  });
  const fetch = (options: HttpFetchOptions, args: Record<string, unknown>, limits = {}) =>
    createHttpFetchTool(options).run(args, toolContext("/nonexistent", limits));

  it("fetches from an explicitly allowed private host", async () => {
    const result = await fetch(local(), { url: `http://127.0.0.1:${port}/hello` });
    assert.equal(result.status, "ok");
    assert.match(result.output, /^HTTP 200 OK\n[\s\S]*\n\nhello$/);
    assert.deepEqual(requests, [`GET /hello host=127.0.0.1:${port}`]);
    const posted = await fetch(local(), { url: `http://127.0.0.1:${port}/echo`, method: "POST", body: "ping" });
    assert.match(posted.output, /\n\nping$/);
    assert.equal((await fetch(local(), { url: `http://127.0.0.1:${port}/missing` })).status, "error");
  });

  const refusals: [string, Partial<HttpFetchOptions>, string][] = [
    ["loopback with an empty allow list", { allowHosts: [] }, "http://127.0.0.1:PORT/hello"],
    ["loopback allowed by host but not private network", { allowPrivateNetwork: false }, "http://127.0.0.1:PORT/hello"],
    ["loopback matched only by *", { allowHosts: ["*"] }, "http://127.0.0.1:PORT/hello"],
    ["localhost (resolves to loopback)", { allowHosts: ["localhost"], allowPrivateNetwork: false }, "http://localhost:PORT/hello"],
    ["IPv6 loopback", { allowHosts: ["*"] }, "http://[::1]:PORT/hello"],
    ["IPv4-mapped loopback", { allowHosts: ["*"] }, "http://[::ffff:127.0.0.1]:PORT/hello"],
    ["the metadata address", { allowHosts: ["*"] }, "http://169.254.169.254/latest/meta-data/"],
    ["the AWS IPv6 metadata address", { allowHosts: ["*"] }, "http://[fd00:ec2::254]/latest/meta-data/"],
    ["metadata.google.internal by name", { allowHosts: ["*"] }, "http://metadata.google.internal/"],
    ["a 10.x address", { allowHosts: ["*"] }, "http://10.1.2.3/"],
    ["a 192.168.x address", { allowHosts: ["*"] }, "http://192.168.1.1/"],
    ["an IP literal matched by a domain wildcard", { allowHosts: ["*.168.1.1"], allowPrivateNetwork: false }, "http://192.168.1.1/"],
    ["a host not in the list", { allowHosts: ["example.com"] }, "http://127.0.0.1:PORT/hello"],
    ["the right host on another port", { allowHosts: ["127.0.0.1:1"] }, "http://127.0.0.1:PORT/hello"],
    ["a non-http scheme", {}, "file:///etc/passwd"],
  ];
  for (const [name, options, url] of refusals) {
    it(`refuses ${name} before connecting`, async () => {
      // Private network stays refused unless a case is about loopback, so no case can reach a real private host.
      const result = await fetch(local({ allowPrivateNetwork: url.includes("127.0.0.1") || url.includes("[::1]"), ...options }), {
        url: url.replace("PORT", String(port)),
      });
      assert.equal(result.status, "refused", result.output);
      assert.deepEqual(requests, []);
    });
  }

  it("refuses a host name that resolves to loopback (checks the resolved address)", async () => {
    const resolve = (host: string) => Promise.resolve(host === "rebind.test" ? [{ address: "127.0.0.1", family: 4 }] : []);
    for (const allowHosts of [["rebind.test"], ["*"]]) {
      const result = await fetch({ allowHosts, allowPrivateNetwork: allowHosts[0] === "*", resolve }, { url: `http://rebind.test:${port}/hello` });
      assert.equal(result.status, "refused");
    }
    const twoAnswers = (): Promise<{ address: string; family: number }[]> =>
      Promise.resolve([{ address: "93.184.215.14", family: 4 }, { address: "10.0.0.1", family: 4 }]);
    const mixed = await fetch({ allowHosts: ["*"], allowPrivateNetwork: false, resolve: twoAnswers }, { url: "http://mixed.test/" });
    assert.equal(mixed.status, "refused");
    assert.deepEqual(requests, []);
  });

  it("connects to the checked address while sending the host name (no second lookup)", async () => {
    let lookups = 0;
    const resolve = () => {
      lookups++;
      return Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
    };
    const result = await fetch(local({ allowHosts: [`pinned.test:${port}`], resolve }), { url: `http://pinned.test:${port}/hello` });
    assert.equal(result.status, "ok");
    assert.equal(lookups, 1);
    assert.deepEqual(requests, [`GET /hello host=pinned.test:${port}`]);
  });

  it("follows allowed redirects and refuses redirects to refused targets", async () => {
    const ok = await fetch(local(), { url: `http://127.0.0.1:${port}/to-hello` });
    assert.match(ok.output, /\n\nhello$/);
    const options = local({ allowHosts: [`127.0.0.1:${port}`, "*"] });
    for (const path of ["/to-metadata", "/to-localhost"]) {
      requests = [];
      const result = await fetch(options, { url: `http://127.0.0.1:${port}${path}` });
      assert.equal(result.status, "refused", result.output);
      assert.deepEqual(requests, [`GET ${path} host=127.0.0.1:${port}`]);
    }
    const loop = await fetch(local({ maxRedirects: 3 }), { url: `http://127.0.0.1:${port}/loop` });
    assert.match(loop.output, /more than 3 redirects/);
  });

  it("caps the response size and the time", async () => {
    const big = await fetch(local(), { url: `http://127.0.0.1:${port}/big` }, { maxOutputBytes: 1000 });
    assert.equal(big.truncated, true);
    assert.match(big.output, /\n\nb{1000}\n\[response truncated at 1000 bytes\]$/);
    const slow = await fetch(local(), { url: `http://127.0.0.1:${port}/slow` }, { timeoutMs: 300 });
    assert.equal(slow.status, "timeout");
  });

  it("classifies addresses", () => {
    for (const address of ["8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"]) assert.equal(isPublicAddress(address), true, address);
    for (const address of ["127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fd00:ec2::254", "fc00::1", "::ffff:7f00:1", "224.0.0.1", "not-an-ip"]) {
      assert.equal(isPublicAddress(address), false, address);
    }
  });
});
