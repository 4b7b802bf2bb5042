/**
 * Figures 6 and 7: memory. A control plane runs as a child process of its own, so its RSS is
 * the control plane's alone (not the bench's clients): idle, with N live sessions (process
 * runtime, real daemons, whose idle RSS is figure 6), and with the 1,000 sessions. A
 * thousand daemons do not fit one machine, so those sessions run on the kubernetes runtime
 * against the fake API server in the bench process: the control plane does all its
 * per-session work (rows, reconciling, pods, watches) except holding daemon streams, whose
 * cost the live-session row measures.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { KubeConfig } from "@kubernetes/client-node";
import { SessionState } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { startFakeKubernetes } from "@raworc/test-support/fake-kubernetes/index.js";
import { startChildControlPlane, type ChildControlPlane } from "../control-plane-child.js";
import type { BenchSettings } from "../settings.js";
import { figure, summarize, type FigureResult } from "../stats.js";

const MB = 2 ** 20;
const ref = (name: string) => ({ namespace: "default", name });

/** RSS in bytes of `pid` and every descendant (tools the daemon started count as the daemon's). */
async function treeRss(pid: number): Promise<number> {
  const children = new Map<number, number[]>();
  const rss = new Map<number, number>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, "utf8").catch(() => "");
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? "0");
    const kb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? "0");
    rss.set(Number(entry), kb * 1024);
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  let total = 0;
  const queue = [pid];
  while (queue.length > 0) {
    const next = queue.pop()!;
    total += rss.get(next) ?? 0;
    queue.push(...(children.get(next) ?? []));
  }
  return total;
}

async function waitState(cp: ChildControlPlane, name: string, state: SessionState): Promise<void> {
  for (;;) {
    const got = await cp.sessions.getSession({ ref: ref(name) });
    if (got.session?.status?.state === state) return;
    if (got.session?.status?.state === SessionState.FAILED) throw new Error(`${name} failed: ${got.session.status.message}`);
    await sleep(50);
  }
}

/** Creates `names` with `concurrency` calls in flight, retrying what the server answers UNAVAILABLE (busy database pool), as a client should. */
async function createAll(cp: ChildControlPlane, names: readonly string[], concurrency: number): Promise<void> {
  let next = 0;
  const create = async (name: string): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await cp.sessions.createSession({ session: { metadata: ref(name), spec: { agents: ["ticker"] } } });
        return;
      } catch (err) {
        // An UNAVAILABLE answer can come after the create committed: the retry then finds it there.
        if (attempt > 1 && err instanceof ConnectError && err.code === Code.AlreadyExists) return;
        if (!(err instanceof ConnectError) || err.code !== Code.Unavailable || attempt >= 10) throw err;
        await sleep(100 * attempt);
      }
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < names.length) await create(names[next++]!);
    }),
  );
}

/** Live sessions on the process runtime: daemon RSS each, and the control plane's RSS before and with them. */
async function liveSessions(s: BenchSettings): Promise<FigureResult[]> {
  const cp = await startChildControlPlane({ RAWORC_RUNTIME: "process" });
  try {
    const idle = await cp.rss();
    const names = Array.from({ length: s.sessions }, (_, i) => `mem-${i}`);
    await createAll(cp, names, 1);
    for (const name of names) await waitState(cp, name, SessionState.READY);
    // Idle: attached, heartbeating, nothing to do.
    await sleep(2000);
    const daemons: number[] = [];
    for (const name of names) {
      const handle = (await cp.sessions.getSession({ ref: ref(name) })).session?.status?.runtime?.handle ?? "0";
      daemons.push((await treeRss(Number(handle))) / MB);
    }
    const withSessions = await cp.rss();
    const d = summarize(daemons);
    const perSessionKb = (withSessions - idle) / 1024 / s.sessions;
    const budgetMb = 150 + (50 * s.sessions) / 1024;
    return [
      figure({
        name: "daemon RSS, idle",
        unit: "MB",
        measured: d,
        baseline: undefined,
        baselineLabel: "—",
        target: "≤ 60 MB",
        pass: d.p50 <= 60,
        note: `${s.sessions} attached daemons (bundled JS under plain node), 2 s after READY`,
      }),
      figure({
        name: `control-plane RSS, ${s.sessions} live sessions`,
        unit: "MB",
        measured: summarize([withSessions / MB]),
        baseline: summarize([idle / MB]),
        baselineLabel: "same process, no sessions",
        target: `≤ 150 MB + 50 KB/session (${budgetMb.toFixed(1)} MB)`,
        pass: withSessions / MB <= budgetMb,
        note: `the control-plane process alone (a child, as \`raworc start\` runs it: through tsx); ≈ ${perSessionKb.toFixed(0)} KB per live session`,
      }),
    ];
  } finally {
    await cp.close();
  }
}

/** The scale: N sessions on the kubernetes runtime (fake API server), the control plane's RSS before and with them. */
async function manySessions(s: BenchSettings): Promise<FigureResult> {
  const fake = await startFakeKubernetes({ namespaces: ["raworc-sessions"] });
  const dir = await mkdtemp(join(tmpdir(), "raworc-bench-kube-"));
  try {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions(fake.kubeConfigOptions("raworc-sessions"));
    await writeFile(join(dir, "config"), kubeConfig.exportConfig(), { mode: 0o600 });
    const cp = await startChildControlPlane({ RAWORC_RUNTIME: "kubernetes", KUBECONFIG: join(dir, "config"), RAWORC_KUBERNETES_NAMESPACE: "raworc-sessions" });
    try {
      const idle = await cp.rss();
      const names = Array.from({ length: s.storedSessions }, (_, i) => `many-${i}`);
      await createAll(cp, names, 4);
      // Every session has its pod (the reconciler has done its work for each) before the reading.
      for (let waited = 0; fake.objects("pods", "raworc-sessions").length < names.length && waited < 120_000; waited += 200) await sleep(200);
      await sleep(2000);
      const withSessions = await cp.rss();
      const pods = fake.objects("pods", "raworc-sessions").length;
      const perSessionKb = (withSessions - idle) / 1024 / s.storedSessions;
      const budgetMb = 150 + (50 * s.storedSessions) / 1024;
      return figure({
        name: `control-plane RSS, ${s.storedSessions} sessions`,
        unit: "MB",
        measured: summarize([withSessions / MB]),
        baseline: summarize([idle / MB]),
        baselineLabel: "same process, no sessions",
        target: `≤ 150 MB + 50 KB/session (${budgetMb.toFixed(1)} MB)`,
        pass: withSessions / MB <= budgetMb,
        note: `kubernetes runtime on the fake API server (${pods} pods, no daemons attached); ≈ ${perSessionKb.toFixed(0)} KB per session`,
      });
    } finally {
      await cp.close();
    }
  } finally {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Figures 6 and 7 with live sessions: daemon RSS idle and the control plane's RSS with N live sessions. */
export const memoryLive = liveSessions;

/** Figure 7 at the scale: the control plane's RSS with 1,000 sessions. */
export const memoryAtScale = manySessions;
