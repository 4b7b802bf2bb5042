/**
 * A real webhook receiver on port 0: it records each POST with its raw body and headers (tests
 * verify them with the standardwebhooks receiver side), answers as the test says (a status, a
 * delay, never), and can go down and come back on the same port.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** One request as received. */
export interface ReceivedRequest {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly receivedAt: number;
}

/** How to answer a request: a status after an optional delay, or never (hold the connection). */
export type Answer = { readonly status: number; readonly delayMs?: number; readonly headers?: Record<string, string> } | "hang";

/** A running receiver. */
export interface WebhookReceiver {
  /** http://127.0.0.1:<port>/hook */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order. */
  readonly received: ReceivedRequest[];
  /** Sets how later requests are answered (default 204). */
  answer(fn: (req: ReceivedRequest) => Answer): void;
  /** Resolves once `count` requests matching `pred` arrived, or fails after `ms`. */
  waitFor(count: number, pred?: (req: ReceivedRequest) => boolean, ms?: number): Promise<ReceivedRequest[]>;
  /** Stops listening and drops open connections (the receiver is down). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Closes everything. */
  close(): Promise<void>;
}

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  const waiters = new Set<() => void>();
  let decide: (req: ReceivedRequest) => Answer = () => ({ status: 204 });
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
      const request: ReceivedRequest = { path: req.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8"), receivedAt: Date.now() };
      received.push(request);
      for (const wake of waiters) wake();
      const answer = decide(request);
      if (answer === "hang") return;
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers);
        res.end(answer.status === 204 ? undefined : "ok");
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
      else reply();
    });
  };
  let server = http.createServer(handler);
  const track = (s: http.Server) => s.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  track(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  const shut = async () => {
    for (const socket of sockets) socket.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    answer(fn) {
      decide = fn;
    },
    async waitFor(count, pred = () => true, ms = 20_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const matching = received.filter(pred);
        if (matching.length >= count) return matching;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} matching webhook requests within ${ms} ms, got ${matching.length} (of ${received.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, 200));
          function done() {
            clearTimeout(timer);
            waiters.delete(done);
            resolve();
          }
          waiters.add(done);
        });
      }
    },
    down: shut,
    async up() {
      server = http.createServer(handler);
      track(server);
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
    },
    close: shut,
  };
}
