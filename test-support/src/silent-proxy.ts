/**
 * A TCP proxy that can cut its connections silently, as a network that drops packets does:
 * after cut() nothing more is forwarded in either direction, yet no socket is closed and no
 * close is passed on, so each end sees a connection that is open and merely quiet (half-open).
 * Connections opened while cut are held (as a connect whose SYNs go unanswered) and go through
 * once restore() is called; the cut connections stay dead.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** A running proxy. */
export interface SilentProxy {
  /** `http://127.0.0.1:<port>`, to give clients instead of the target's URL. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Where connections go; set before the first one arrives. */
  setTarget(host: string, port: number): void;
  /** Stops forwarding on every open connection, silently, and holds new ones. */
  cut(): void;
  /** Lets held and new connections through again (cut ones stay dead). */
  restore(): void;
  /** Destroys every socket and stops listening. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  dead: boolean;
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startSilentProxy(): Promise<SilentProxy> {
  let target: { host: string; port: number } | undefined;
  let cutting = false;
  let accepted = 0;
  const pairs = new Set<Pair>();
  const held: Socket[] = [];
  const sockets = new Set<Socket>();

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined); // a reset end is the test's business, not a crash
    socket.on("close", () => sockets.delete(socket));
  };

  const forward = (client: Socket) => {
    if (client.destroyed || !target) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    track(upstream);
    const pair: Pair = { client, upstream, dead: false };
    pairs.add(pair);
    client.on("data", (data: Buffer) => {
      if (!pair.dead) upstream.write(data);
    });
    upstream.on("data", (data: Buffer) => {
      if (!pair.dead) client.write(data);
    });
    // An ordinary proxy passes closes on; a dead pair does not (the FIN or RST is "lost" too).
    const closeOther = (other: Socket) => () => {
      if (!pair.dead) other.destroy();
      pairs.delete(pair);
    };
    client.on("close", closeOther(upstream));
    upstream.on("close", closeOther(client));
    client.resume();
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    accepted++;
    track(client);
    if (cutting) held.push(client);
    else forward(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no TCP address");

  return {
    url: `http://127.0.0.1:${address.port}`,
    get accepted() {
      return accepted;
    },
    setTarget(host, port) {
      target = { host, port };
    },
    cut() {
      cutting = true;
      for (const pair of pairs) pair.dead = true;
    },
    restore() {
      cutting = false;
      for (const client of held.splice(0)) forward(client);
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
