/**
 * The web figures: the console's gzipped bundle, the session page's first render with 1,000
 * events in real Chromium (against the same page with a handful), and what CORS costs an RPC
 * from an allowed origin (against the same RPC without an Origin, same server, same run).
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { bearer } from "@raworc/test-support/clients.js";
import { chromiumAvailable, launchChromium } from "@raworc/test-support/chromium.js";
import { ensureConsoleBuilt } from "../../console/e2e/console-build.js";
import { agents, benchOrigin, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, since, summarize, type FigureResult } from "../stats.js";

/** Gzipped bytes of the scripts and styles the console's first page loads (and, in the note, of what loads later). */
export async function consoleBundle(): Promise<FigureResult> {
  const dist = await ensureConsoleBuilt();
  const index = await readFile(join(dist, "index.html"), "utf8");
  const first = new Set([...index.matchAll(/(?:src|href)="\/assets\/([^"]+)"/g)].map((m) => m[1]!));
  const assets = (await readdir(join(dist, "assets"))).filter((f) => /\.(js|css)$/.test(f));
  let gz = 0;
  let later = 0;
  for (const name of assets) {
    const size = gzipSync(await readFile(join(dist, "assets", name)), { level: 9 }).length;
    if (first.has(name)) gz += size;
    else later += size;
  }
  const kib = gz / 1024;
  return figure({
    name: "Console bundle at first load (JS + CSS, gzipped)",
    unit: "KiB",
    measured: summarize([kib]),
    baseline: undefined,
    baselineLabel: "",
    target: "≤ 150 KiB",
    pass: kib <= 150,
    note: `Preact, connect-web, the protobuf runtime and the generated raworc.v1 descriptors; ${(later / 1024).toFixed(1)} KiB more (the YAML parser) load with the first agent opened`,
  });
}

/** Milliseconds from opening the session page to its last event on screen, `samples` times. */
async function renderTimes(h: Harness, name: string, samples: number): Promise<number[]> {
  const browser = await launchChromium();
  try {
    const times: number[] = [];
    await browser.context.addInitScript(`sessionStorage.setItem("raworc.token", ${JSON.stringify(h.token)})`);
    for (let i = 0; i < samples; i++) {
      const page = await browser.context.newPage();
      const start = performance.now();
      await page.goto(`${h.url}/#/sessions/default/${name}`);
      await page.locator(".turn-end.completed").waitFor({ timeout: 60_000 });
      times.push(since(start));
      await page.close();
    }
    return times;
  } finally {
    await browser.close();
  }
}

/** Time to first render of a session page holding 1,000+ events, against one holding a few. */
export async function sessionPageRender(h: Harness, s: BenchSettings): Promise<FigureResult> {
  if (!chromiumAvailable) throw new Error("needs /usr/bin/chromium (apt-get install chromium)");
  await ensureConsoleBuilt();
  await h.createReady("render-small", agents.ticker);
  await h.createReady("render-large", agents.firehose);
  for (const name of ["render-small", "render-large"]) {
    const sent = await h.sessions.sendMessage({ ref: { namespace: "default", name }, text: "go" });
    await h.waitTurnEnd(name, sent.seq);
  }
  const events = (await h.sessions.getSession({ ref: { namespace: "default", name: "render-large" } })).session?.status?.lastEventSeq ?? 0n;
  const samples = s.quick ? 2 : 7;
  const baseline = await renderTimes(h, "render-small", samples);
  const measured = await renderTimes(h, "render-large", samples);
  await h.remove("render-small");
  await h.remove("render-large");
  const m = summarize(measured);
  return figure({
    name: `Session page first render, ${events} events (Chromium)`,
    unit: "ms",
    measured: m,
    baseline: summarize(baseline),
    baselineLabel: "same page, a session of a few events",
    target: "≤ 1000 ms",
    pass: m.p50 <= 1000,
    note: "from navigation to the turn's end on screen: page load, stored events by ListEvents (one call, one render), then the watch",
  });
}

/** Sequential GetSession latencies in ms, with or without an Origin header. */
async function latencies(h: Harness, name: string, origin: string | undefined, calls: number): Promise<number[]> {
  const withOrigin: Interceptor = (next) => (req) => {
    if (origin) req.header.set("origin", origin);
    return next(req);
  };
  const client = createClient(SessionService, createConnectTransport({ baseUrl: h.url, httpVersion: "1.1", interceptors: [bearer(h.token), withOrigin] }));
  const out: number[] = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    await client.getSession({ ref: { namespace: "default", name } });
    out.push(since(start));
  }
  return out;
}

/** What CORS adds to an RPC from an allowed origin, and what one preflight costs. */
export async function corsOverhead(h: Harness, s: BenchSettings): Promise<FigureResult[]> {
  await h.createReady("cors", agents.ticker);
  const calls = s.quick ? 100 : 1000;
  await latencies(h, "cors", undefined, 50); // warm-up
  // Interleaved rounds, so drift on a shared machine hits both sides alike.
  const plain: number[] = [];
  const cors: number[] = [];
  for (let round = 0; round < 20; round++) {
    plain.push(...(await latencies(h, "cors", undefined, calls / 20)));
    cors.push(...(await latencies(h, "cors", benchOrigin, calls / 20)));
  }
  const preflights: number[] = [];
  for (let i = 0; i < calls / 5; i++) {
    const start = performance.now();
    const res = await fetch(`${h.url}/raworc.v1.SessionService/GetSession`, {
      method: "OPTIONS",
      headers: { origin: benchOrigin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type,connect-protocol-version" },
    });
    await res.arrayBuffer();
    if (res.status !== 204) throw new Error(`preflight answered ${res.status}`);
    preflights.push(since(start));
  }
  await h.remove("cors");
  const m = summarize(cors);
  const b = summarize(plain);
  return [
    figure({
      name: "GetSession latency from an allowed origin (CORS)",
      unit: "ms",
      measured: m,
      baseline: b,
      baselineLabel: "same call without Origin, interleaved",
      target: "≤ 1.05× baseline",
      pass: m.p50 <= 1.05 * b.p50,
      note: "browsers cache the preflight for 2 h (Access-Control-Max-Age 7200), so an RPC pays only the header check",
    }),
    figure({
      name: "CORS preflight round trip",
      unit: "ms",
      measured: summarize(preflights),
      baseline: b,
      baselineLabel: "GetSession without Origin",
      target: "≤ 1× baseline",
      pass: summarize(preflights).p50 <= b.p50,
      note: "answered before any RPC work (no authentication, no database)",
    }),
  ];
}
