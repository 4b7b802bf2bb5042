/**
 * Webhook delivery lag under a burst: messages sent back to back to a session whose every turn stores
 * four deliverable events (two state changes, turn started, turn completed) until the burst's
 * events number about 1,000; the lag of each is its arrival at a real receiver minus the
 * event's time. Same-run baseline: the lag of the same events reaching a client watching the
 * session (the API's own fan-out, no outbox, no HTTP POST).
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { WebhookService } from "@raworc/proto/gen/raworc/v1/webhook_pb.js";
import { clientOf } from "@raworc/test-support/clients.js";
import { startWebhookReceiver } from "@raworc/test-support/webhook-receiver.js";
import { agents, type Harness } from "../harness.js";
import type { BenchSettings } from "../settings.js";
import { figure, summarize, type FigureResult } from "../stats.js";

const deliverable = new Set(["stateChanged", "turnStarted", "turnCompleted", "turnFailed", "turnCancelled"]);

/** Measures webhook and watch lag of the same burst of events. */
export async function webhookLag(h: Harness, s: BenchSettings): Promise<FigureResult> {
  const receiver = await startWebhookReceiver();
  const hooks = clientOf(WebhookService, h.url, h.token);
  const ref = { namespace: "default", name: "hooks" };
  await h.createReady(ref.name, agents.ticker);
  await hooks.createWebhook({ webhook: { metadata: { namespace: "default", name: "lag" }, spec: { url: receiver.url, eventTypes: ["turn.*", "session.*"] } } });
  const messages = Math.ceil(s.webhookEvents / 4);
  const watchLag: number[] = [];
  const abort = new AbortController();
  const burstStart = Date.now();
  let turnsDone = 0;
  let onDone!: () => void;
  const done = new Promise<void>((resolve) => (onDone = resolve));
  const watching = (async () => {
    for await (const res of h.sessions.watchSession({ ref, fromSeq: 0n }, { signal: abort.signal })) {
      if (res.message.case !== "event") continue;
      const event = res.message.value;
      const time = event.time ? timestampDate(event.time).getTime() : 0;
      if (time < burstStart || !deliverable.has(event.payload.case ?? "")) continue;
      watchLag.push(Date.now() - time);
      if (event.payload.case === "turnCompleted" && ++turnsDone === messages) onDone();
    }
  })().catch(() => undefined);
  try {
    // One after the other: concurrent SendMessage calls on one session queue on its row lock and exhaust the pool.
    for (let i = 0; i < messages; i++) await h.sessions.sendMessage({ ref, text: `burst ${i}` });
    await done;
    // Every event the watch saw after the burst started is also a delivery.
    const fromBurst = (body: string) => Date.parse((JSON.parse(body) as { timestamp: string }).timestamp) >= burstStart;
    const got = await receiver.waitFor(watchLag.length, (req) => fromBurst(req.body), 120_000);
    const webhookLagMs = got.map((req) => req.receivedAt - Date.parse((JSON.parse(req.body) as { timestamp: string }).timestamp));
    const m = summarize(webhookLagMs);
    return figure({
      name: `webhook delivery lag, burst of ${got.length} events`,
      unit: "ms",
      measured: m,
      baseline: summarize(watchLag),
      baselineLabel: "the same events reaching a WatchSession client",
      target: "reported (p50, p99)",
      pass: true,
      note: `p99 ${m.p99.toFixed(0)} ms against ${summarize(watchLag).p99.toFixed(0)} ms for the watch; one replica, 16 attempts at once (RAWORC_WEBHOOKS_CONCURRENCY)`,
    });
  } finally {
    abort.abort();
    await watching;
    await hooks.deleteWebhook({ ref: { namespace: "default", name: "lag" } });
    await receiver.close();
    await h.remove(ref.name);
  }
}
