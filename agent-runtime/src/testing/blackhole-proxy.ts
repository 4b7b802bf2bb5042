/**
 * A TCP forwarder for end-to-end tests whose connections can be turned into black holes: bytes
 * stop flowing both ways while every socket stays open, as when a network path dies without a
 * FIN or RST (a half-open connection). Only keep-alives can notice. New connections after the
 * cut are forwarded normally.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** A running forwarder. */
export interface BlackholeProxy {
  /** The proxy's URL, to give clients instead of the target's. */
  readonly url: string;
  /** Where connections go; may be set after the proxy started (before the first connection). */
  target: URL | undefined;
  /** How many connections were opened through the proxy. */
  readonly connections: number;
  /** Silently stops every open connection; they stay open but carry nothing more. */
  cutAll(): void;
  close(): Promise<void>;
}

/** Starts a forwarder on a free local port. */
export async function startBlackholeProxy(): Promise<BlackholeProxy> {
  const live = new Set<[Socket, Socket]>();
  const cut: Socket[] = [];
  let connections = 0;
  const proxy: BlackholeProxy = {
    url: "",
    target: undefined,
    get connections() {
      return connections;
    },
    cutAll() {
      for (const pair of live) {
        const [client, upstream] = pair;
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        cut.push(client, upstream);
      }
      live.clear();
    },
    async close() {
      for (const [client, upstream] of live) cut.push(client, upstream);
      for (const socket of cut) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const target = proxy.target;
    if (!target) return client.destroy();
    connections++;
    const upstream = connect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    live.add(pair);
    const drop = (): void => {
      if (!live.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");
  return Object.assign(proxy, { url: `http://127.0.0.1:${address.port}` });
}
