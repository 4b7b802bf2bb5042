import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { postWebhook } from "./post-webhook.js";
import { webhookAddressCheck, type AddressCheck } from "./target-policy.js";

/** A real server on 127.0.0.1:0 answering with `handler`. */
async function serve(handler: http.RequestListener): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, hits: () => hits, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// Allows only 127.0.0.1, standing in for "public"; every other address plays a refused one.
const onlyLoopbackOne: AddressCheck = (address) => (address === "127.0.0.1" ? undefined : `${address} is refused`);

describe("postWebhook (real servers)", () => {
  it("follows a redirect to an allowed address with the same POST, and refuses one to a refused address", async () => {
    const target = await serve((req, res) => res.writeHead(req.method === "POST" ? 200 : 405).end("done"));
    const redirect = (to: string) => serve((_req, res) => res.writeHead(307, { location: to }).end());
    const toAllowed = await redirect(target.url);
    const toPrivate = await redirect(target.url.replace("127.0.0.1", "127.0.0.2"));
    const toNamed = await redirect(target.url.replace("127.0.0.1", "localhost"));
    try {
      const ok = await postWebhook(toAllowed.url, {}, "{}", { timeoutMs: 2000, checkAddress: onlyLoopbackOne });
      assert.deepEqual([ok.status, ok.body, ok.error], [200, "done", ""]);
      const refused = await postWebhook(toPrivate.url, {}, "{}", { timeoutMs: 2000, checkAddress: onlyLoopbackOne });
      assert.equal(refused.status, 0);
      assert.match(refused.error, /address refused: 127\.0\.0\.2 is refused/);
      // A name is checked on what it resolves to, before connecting: localhost's ::1 is refused, 127.0.0.1 allowed.
      const named = await postWebhook(toNamed.url, {}, "{}", { timeoutMs: 2000, checkAddress: (a) => (a === "127.0.0.1" ? "loopback" : undefined) });
      assert.equal(named.status, 0);
      assert.ok(/address refused|ECONNREFUSED/.test(named.error), named.error);
      assert.equal(target.hits(), 1, "only the allowed redirect reached the target");
    } finally {
      for (const s of [target, toAllowed, toPrivate, toNamed]) await s.close();
    }
  });

  it("stops after three redirects and after its timeout", async () => {
    const loop = await serve((req, res) => res.writeHead(308, { location: req.url }).end());
    const slow = await serve((_req, res) => setTimeout(() => res.writeHead(200).end(), 2000).unref());
    try {
      const looped = await postWebhook(loop.url, {}, "{}", { timeoutMs: 2000, checkAddress: onlyLoopbackOne });
      assert.match(looped.error, /more than 3 redirects/);
      assert.equal(loop.hits(), 4);
      const started = Date.now();
      const timedOut = await postWebhook(slow.url, {}, "{}", { timeoutMs: 200, checkAddress: onlyLoopbackOne });
      assert.match(timedOut.error, /timed out after 200 ms/);
      assert.ok(Date.now() - started < 1500);
    } finally {
      await loop.close();
      await slow.close();
    }
  });
});

describe("the interim webhook address check", () => {
  const check = webhookAddressCheck(false);
  it("refuses loopback, private, link-local, metadata and IPv4 hidden in IPv6; allows public addresses", () => {
    for (const address of ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0", "::1", "fd00:ec2::254", "fe80::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "64:ff9b::a00:1"]) {
      assert.ok(check(address), `${address} should be refused`);
    }
    for (const address of ["93.184.216.34", "2606:4700::1111", "8.8.8.8"]) assert.equal(check(address), undefined, address);
  });
  it("allows everything with RAWORC_WEBHOOKS_ALLOW_PRIVATE", () => {
    assert.equal(webhookAddressCheck(true)("127.0.0.1"), undefined);
  });
});
