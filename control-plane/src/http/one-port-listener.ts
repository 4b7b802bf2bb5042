/**
 * One TCP port for every protocol: cleartext connections are told apart by their first bytes
 * (an HTTP/2 connection opens with the fixed client preface) and handed to an HTTP/2 or an
 * HTTP/1.1 server; TLS connections negotiate the same choice through ALPN.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { connectNodeAdapter } from "@connectrpc/connect-node";

/** A request handler for both HTTP versions (what connectNodeAdapter returns). */
export type DualHandler = ReturnType<typeof connectNodeAdapter>;

/** Options for {@link listenOnePort}. */
export interface OnePortOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certFile: string; readonly keyFile: string } | undefined;
}

/** A listening server that can be shut down gracefully. */
export interface OnePortListener {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts the rest. */
  close(graceMs: number): Promise<void>;
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** Starts listening; resolves once the port is bound. */
export async function listenOnePort(handler: DualHandler, options: OnePortOptions): Promise<OnePortListener> {
  const sockets = new Set<Duplex>();
  const sessions = new Set<http2.Http2Session>();
  // Requests in flight per HTTP/1.1 connection. http.Server's own idle tracking only works for
  // servers that listen themselves, and ours receives its sockets from the sniffing listener.
  const h1Busy = new Map<Duplex, number>();
  let closing = false;
  let outer: net.Server;

  if (options.tls) {
    const secure = http2.createSecureServer(
      { cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile), allowHTTP1: true },
      handler,
    );
    secure.on("session", (s) => sessions.add(s).size && s.once("close", () => sessions.delete(s)));
    outer = secure;
  } else {
    const h1Server = http.createServer(handler);
    h1Server.on("connection", (socket: Duplex) => {
      h1Busy.set(socket, 0);
      socket.once("close", () => h1Busy.delete(socket));
    });
    h1Server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      const socket = req.socket;
      h1Busy.set(socket, (h1Busy.get(socket) ?? 0) + 1);
      if (closing) res.setHeader("connection", "close");
      res.once("close", () => {
        const left = (h1Busy.get(socket) ?? 1) - 1;
        h1Busy.set(socket, left);
        if (closing && left === 0) socket.destroy();
      });
    });
    const h2 = http2.createServer({}, handler);
    h2.on("session", (s) => sessions.add(s).size && s.once("close", () => sessions.delete(s)));
    outer = net.createServer((socket) => {
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const n = Math.min(head.length, preface.length);
        const isH2 = head.subarray(0, n).equals(preface.subarray(0, n));
        if (isH2 && head.length < preface.length) return; // need more bytes to decide
        socket.off("data", onData);
        socket.pause();
        socket.unshift(head);
        if (isH2) {
          // The HTTP/2 session reads the unshifted bytes itself on the next tick; resuming the
          // socket would flush them to no listener and the session would miss the preface.
          h2.emit("connection", socket);
        } else {
          h1Server.emit("connection", socket);
          socket.resume();
        }
      };
      socket.on("data", onData);
      socket.on("error", () => socket.destroy());
    });
  }
  outer.on("connection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    outer.once("error", reject);
    outer.listen(options.port, options.host, () => {
      outer.off("error", reject);
      resolve();
    });
  });
  const port = (outer.address() as net.AddressInfo).port;

  return {
    port,
    async close(graceMs) {
      closing = true;
      const closed = new Promise<void>((resolve) => outer.close(() => resolve()));
      for (const session of sessions) session.close(); // GOAWAY: finish open streams, accept no new ones
      for (const [socket, busy] of h1Busy) if (busy === 0) socket.destroy();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
