/**
 * What the fault tests of sessions share: a scripted agent whose reply streams slowly enough to
 * break things in the middle of it, bounded polling, a watcher that resumes from its cursor
 * after its stream breaks, the daemons that exist for a session (from /proc), and the checks
 * that a watcher saw the stored log exactly once and that a reply was never doubled.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { equals, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Client } from "@connectrpc/connect";
import { ProcessRuntime } from "@raworc/control-plane";
import { ModelProvider, type AgentSchema } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { SessionEventSchema, SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { procStrings } from "./processes/process-checks.js";

/** The reference of a session in the default namespace. */
export const ref = (name: string) => ({ namespace: "default", name });

/** Chunk `i` of a streamed reply: fixed width, so a repeated or missing chunk shows in the text. */
export const chunk = (i: number): string => `<${String(i).padStart(3, "0")}>`;

/** The whole reply of a {@link streamingAgent} with `chunks` chunks. */
export const fullReply = (chunks: number): string => Array.from({ length: chunks }, (_, i) => chunk(i)).join("");

/** A scripted agent that answers every message with `chunks` text deltas, `delayMs` apart. */
export function streamingAgent(name: string, chunks: number, delayMs: number): MessageInitShape<typeof AgentSchema> {
  const steps = Array.from({ length: chunks }, (_, i) => [
    ...(i === 0 ? [] : [{ step: { case: "delay" as const, value: durationFromMs(delayMs) } }]),
    { step: { case: "text" as const, value: chunk(i) } },
  ]).flat();
  return {
    metadata: { namespace: "default", name },
    spec: { instructions: "Stream a long reply.", model: { provider: ModelProvider.SCRIPTED, scripted: { turns: [{ steps }] } } },
  };
}

/** Polls `fn` until `check` passes or `ms` elapse (bounded waiting, never a timing assertion). */
export async function eventually<T>(what: string, fn: () => Promise<T> | T, check: (v: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T | undefined;
  let failure: unknown;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      failure = undefined;
      if (check(last)) return last;
    } catch (error) {
      failure = error; // e.g. a server that is restarting; try again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seen = failure === undefined ? JSON.stringify(last, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) : failure instanceof Error ? failure.message : JSON.stringify(failure);
  assert.fail(`${what} did not happen within ${ms} ms; last seen: ${seen?.slice(0, 2000)}`);
}

/**
 * A client's watch of one session from seq 0 that, when its stream breaks (a control plane
 * killed or stopping), watches again from the last seq it received, as a client is told to.
 * Gaps and duplicates are recorded, not thrown, so a test can assert on them at the end.
 */
export class Watcher {
  /** Every event received, in order of arrival. */
  readonly events: SessionEvent[] = [];
  /** Seqs that did not follow the previous one (gap or repeat). */
  readonly outOfOrder: { after: bigint; got: bigint }[] = [];
  /** How many times the watch was opened again after its stream broke. */
  reconnects = 0;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly client: () => Client<typeof SessionService>,
    private readonly name: string,
  ) {
    this.done = this.run();
  }

  /** The seq of the last event received (0 before any). */
  get lastSeq(): bigint {
    return this.events.at(-1)?.seq ?? 0n;
  }

  private async run(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        for await (const res of this.client().watchSession({ ref: ref(this.name), fromSeq: this.lastSeq }, { signal: this.abort.signal })) {
          if (res.message.case !== "event") continue;
          const event = res.message.value;
          if (event.seq !== this.lastSeq + 1n) this.outOfOrder.push({ after: this.lastSeq, got: event.seq });
          this.events.push(event);
        }
        return; // OK: the session is terminated and everything was sent
      } catch {
        if (this.abort.signal.aborted) return;
        this.reconnects++;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Waits until an event matching `match` has arrived; returns it. */
  async waitFor(what: string, match: (event: SessionEvent) => boolean, ms = 30_000): Promise<SessionEvent> {
    const found = await eventually(what, () => this.events.find(match), (e) => e !== undefined, ms);
    return found!;
  }

  /** Waits until `count` events match `match`. */
  async waitForCount(what: string, match: (event: SessionEvent) => boolean, count: number, ms = 30_000): Promise<void> {
    await eventually(what, () => this.events.filter(match).length, (n) => n >= count, ms);
  }

  /** Ends the watch. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}

/** Every stored event of a session, through ListEvents. */
export async function listAllEvents(client: Client<typeof SessionService>, name: string): Promise<SessionEvent[]> {
  const all: SessionEvent[] = [];
  for (;;) {
    const page = await client.listEvents({ ref: ref(name), fromSeq: all.at(-1)?.seq ?? 0n, limit: 1000 });
    all.push(...page.events);
    if (!page.hasMore) return all;
  }
}

/** Asserts the watcher received exactly the stored log: seqs 1..n, each once, in order, with the same contents. */
export function assertSawLogExactlyOnce(watcher: Watcher, stored: readonly SessionEvent[]): void {
  assert.deepEqual(watcher.outOfOrder, [], "the watch never skipped or repeated a seq");
  assert.deepEqual(
    stored.map((e) => e.seq),
    stored.map((_, i) => BigInt(i + 1)),
    "the stored log is gapless from 1",
  );
  assert.deepEqual(
    watcher.events.map((e) => e.seq),
    stored.map((e) => e.seq),
    "the watcher saw every stored event once, in order",
  );
  watcher.events.forEach((e, i) => assert.ok(equals(SessionEventSchema, e, stored[i]!), `event ${e.seq} as watched is the event as stored`));
}

/** The text deltas of one turn, joined. */
export function replyOf(events: readonly SessionEvent[], turn: number): string {
  return events
    .filter((e) => e.turn === turn && e.payload.case === "textDelta")
    .map((e) => (e.payload.case === "textDelta" ? e.payload.value.text : ""))
    .join("");
}

/** Asserts `reply` is whole chunks of the script from the first, each once and in order: nothing the daemon sent was doubled. */
export function assertPrefixOfScript(reply: string, chunks: number): void {
  const script = fullReply(chunks);
  assert.equal(reply.length % chunk(0).length, 0, `the reply is whole chunks: ${reply}`);
  assert.equal(reply, script.slice(0, reply.length), "the reply is the script's first chunks, none repeated or skipped");
}

/** The StateChanged transitions in a log, as "FROM>TO:Reason". */
export function transitions(events: readonly SessionEvent[]): string[] {
  return events.flatMap((e) => (e.payload.case === "stateChanged" ? [`${SessionState[e.payload.value.from]}>${SessionState[e.payload.value.to]}:${e.payload.value.reason}`] : []));
}

/** The ending event (completed, failed or cancelled) of `turn`, if any. */
export function turnEnd(events: readonly SessionEvent[], turn: number): SessionEvent | undefined {
  return events.find((e) => e.turn === turn && (e.payload.case === "turnCompleted" || e.payload.case === "turnFailed" || e.payload.case === "turnCancelled"));
}

/** The pids of live (non-zombie) `raworc-agent` processes for `sessionId`, from /proc. */
export async function daemonPids(sessionId: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const args = await procStrings(pid, "cmdline").catch((): string[] => []);
    const at = args.indexOf("--session-id");
    if (at < 0 || args[at + 1] !== sessionId || !args.some((a) => a.includes("raworc-agent"))) continue;
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    if (stat !== "" && state !== "Z" && state !== "X") pids.push(pid);
  }
  return pids;
}

/** How many daemons were started on a session's volume: the "volume opened" lines of its daemon.log. */
export async function daemonStarts(dataDir: string, sessionId: string): Promise<number> {
  const text = await readFile(join(dataDir, "sessions", sessionId, "daemon.log"), "utf8").catch(() => "");
  return text.split("\n").filter((line) => line.includes('"msg":"volume opened"')).length;
}

/** Lines of a session's daemon.log whose message is `msg`, parsed. */
export async function daemonLogLines(dataDir: string, sessionId: string, msg: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(dataDir, "sessions", sessionId, "daemon.log"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.includes(`"msg":${JSON.stringify(msg)}`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A SessionEvent matcher for text deltas of `turn`. */
export const isDelta = (turn: number) => (e: SessionEvent) => e.turn === turn && e.payload.case === "textDelta";

/** Stops every daemon left under `dataDir` (1 s grace, then SIGKILL) and removes the session directories: a test's daemons must not outlive it. */
export async function destroyLeftovers(dataDir: string): Promise<void> {
  const runtime = new ProcessRuntime({ dataDir, graceMs: 1000 });
  await Promise.all((await runtime.list()).map((leftover) => runtime.destroy(leftover.sessionId)));
  await runtime.close();
}
