/**
 * A TCP proxy that can cut its connections silently, as a network that drops packets does:
 * after cut() nothing more is forwarded in either direction, yet no socket is closed and no
 * close is passed on, so each end sees a connection that is open and merely quiet (half-open).
 * Connections opened while cut are held (as a connect whose SYNs go unanswered) and go through
 * once restore() is called; the cut connections stay dead. With several targets it is also a
 * small load balancer: connections take turns among them and skip one that refuses.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** A running proxy. */
export interface SilentProxy {
  /** `http://127.0.0.1:<port>`, to give clients instead of the target's URL. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Where connections go (in turns, skipping a target that refuses); set before the first one arrives. */
  setTargets(targets: readonly Target[]): void;
  /** Stops forwarding on every open connection, silently, and holds new ones. */
  cut(): void;
  /** Lets held and new connections through again (cut ones stay dead). */
  restore(): void;
  /** Destroys every socket and stops listening. */
  close(): Promise<void>;
}

/** An address connections are forwarded to. */
export interface Target {
  readonly host: string;
  readonly port: number;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  dead: boolean;
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startSilentProxy(): Promise<SilentProxy> {
  let targets: readonly Target[] = [];
  let turn = 0;
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

  const wire = (client: Socket, upstream: Socket) => {
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

  /** Connects `client` to the next target that accepts, trying each once; the client is dropped when none does. */
  const forward = (client: Socket, tried = 0, first = turn++) => {
    if (client.destroyed || tried >= targets.length) {
      client.destroy();
      return;
    }
    const target = targets[(first + tried) % targets.length]!;
    const upstream = connect(target.port, target.host);
    track(upstream);
    const refused = () => forward(client, tried + 1, first);
    upstream.once("error", refused);
    upstream.once("connect", () => {
      upstream.off("error", refused);
      wire(client, upstream);
    });
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
    setTargets(list) {
      targets = [...list];
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
