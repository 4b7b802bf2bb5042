/** Figure 2: authorized GetSession throughput with concurrent clients, against a bare Connect handler on the same stack. */
import { createServer } from "node:http";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { SessionSchema, SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { connectTransport } from "@raworc/test-support/clients.js";
import { agents, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, summarize, type FigureResult } from "../stats.js";

/** Requests per second, one sample per second, of `clients` concurrent GetSession loops against `url`. */
export async function throughput(url: string, token: string | undefined, name: string, clients: number, seconds: number): Promise<number[]> {
  const perSecond: number[] = [];
  let count = 0;
  let errors = 0;
  const end = Date.now() + seconds * 1000;
  const ticker = setInterval(() => {
    perSecond.push(count);
    count = 0;
  }, 1000);
  await Promise.all(
    Array.from({ length: clients }, async () => {
      const client = createClient(SessionService, connectTransport(url, token));
      while (Date.now() < end) {
        try {
          await client.getSession({ ref: { namespace: "default", name } });
          count++;
        } catch {
          errors++;
        }
      }
    }),
  );
  clearInterval(ticker);
  if (errors > 0) throw new Error(`${errors} GetSession calls failed against ${url}`);
  return perSecond.length > 0 ? perSecond : [count / seconds];
}

/** Starts a bare Connect server with one trivial GetSession and no interceptors or database. */
async function bareServer(session: ReturnType<typeof create<typeof SessionSchema>>) {
  const server = createServer(connectNodeAdapter({ routes: (router) => router.service(SessionService, { getSession: () => ({ session }) }) }));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

/** Measures both servers, baseline first, with the same client code. */
export async function unaryRpc(h: Harness, s: BenchSettings): Promise<FigureResult> {
  const session = await h.createReady("rpc", agents.ticker);
  const bare = await bareServer(create(SessionSchema, session));
  let baseline: number[];
  try {
    baseline = await throughput(bare.url, undefined, "rpc", s.rpcClients, s.rpcSeconds);
  } finally {
    await bare.close();
  }
  const measured = await throughput(h.url, h.token, "rpc", s.rpcClients, s.rpcSeconds);
  await h.remove("rpc");
  const m = summarize(measured);
  const b = summarize(baseline);
  const pass = m.p50 >= 0.5 * b.p50;
  return figure({
    name: `GetSession throughput, ${s.rpcClients} clients`,
    unit: "req/s",
    measured: m,
    baseline: b,
    baselineLabel: "bare Connect handler, same stack",
    target: "≥ 0.5× baseline",
    pass,
    note: pass ? "" : "profiled: each call makes three PostgreSQL round trips (account and RBAC version, session, transitions); see the README",
  });
}
