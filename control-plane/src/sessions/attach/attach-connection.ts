/**
 * One daemon's attach stream: Hello → Welcome, then three loops until the stream ends. The
 * reader takes the daemon's messages into an inbox; the processor handles them in order,
 * storing runs of events in one transaction each and acknowledging after commit; a refresh
 * re-reads the session on hints and on a timer to deliver work and ask for Shutdown. A ticker
 * sends heartbeats and ends a stream whose daemon has gone silent.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { durationFromMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import {
  AttachResponseSchema,
  HeartbeatSchema,
  ShutdownReason,
  ShutdownSchema,
  WorkItemSchema,
  type AttachRequest,
  type AttachResponse,
  type Hello,
  type Welcome,
} from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { AuthenticatedDaemon } from "../../context.js";
import type { Logger } from "../../logger.js";
import { collectStoredEvents } from "../event-log.js";
import type { Notifier, StoredEvent } from "../notifier.js";
import type { SessionStore } from "../session-store.js";
import type { AttachRegistry, LiveStream } from "./attach-registry.js";
import { checkDaemonMessage, storeSequenced, type SequencedMessage } from "./daemon-messages.js";
import type { AttachOptions } from "./options.js";
import { OutboundQueue } from "./outbound-queue.js";
import { admit, receiveHello } from "./hello.js";
import { assertOwner, markReady, withOwnedSession } from "./session-effects.js";
import type { WelcomeSources } from "./welcome.js";

/** What every attach stream of a server shares. */
export interface AttachDependencies {
  readonly sessions: SessionStore;
  readonly welcome: WelcomeSources;
  readonly registry: AttachRegistry;
  readonly logger: Logger;
  readonly options: AttachOptions;
  /** Where stored batches go for this process's watchers; without it, watchers learn of them by NOTIFY and read them back. */
  readonly notifier?: Pick<Notifier, "publishStored">;
  /** Where the daemon's finished spans go (tracing on); absent, they are dropped. */
  readonly forwardSpans?: (otlpJson: Uint8Array) => void;
}

/** The inbox holds the daemon's messages, then "end" once it closed its side. */
type Inbound = AttachRequest | "end";

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

/** The control plane's side of one attach stream. */
export class AttachConnection implements LiveStream {
  /** The session the daemon's token is for. */
  readonly sessionId: string;
  private readonly out = new OutboundQueue<AttachResponse>();
  private readonly inbox: Inbound[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private instanceId = "";
  /** The highest daemon seq committed: what every reply acknowledges. */
  private committed = 0n;
  private workSent = 0n;
  private workAcked = 0n;
  private lastHeard = Date.now();
  private lastSent = Date.now();
  private shutdownSent = false;
  /** The active turn the daemon reported in Ready; undefined until it said Ready. */
  private readyTurn: number | undefined;
  private processing = false;
  private refreshing = false;
  private refreshWanted = false;
  private resumeReader: (() => void) | undefined;

  constructor(
    private readonly deps: AttachDependencies,
    private readonly daemon: AuthenticatedDaemon,
    private readonly signal: AbortSignal,
  ) {
    this.sessionId = daemon.sessionId;
  }

  /** Serves the stream: yields what to send until it ends, then returns (OK) or throws its error. */
  async *run(requests: AsyncIterable<AttachRequest>): AsyncGenerator<AttachResponse> {
    const iterator = requests[Symbol.asyncIterator]();
    const onAbort = () => this.end(new ConnectError("the daemon went away", Code.Canceled));
    this.signal.addEventListener("abort", onAbort, { once: true });
    let outcome: unknown;
    try {
      const welcome = await this.open(await receiveHello(iterator, this.sessionId, this.deps.options.heartbeatTimeoutMs));
      this.reply({ case: "welcome", value: welcome });
      this.startTimers();
      this.read(iterator);
      this.requestRefresh();
      yield* this.out;
    } catch (error) {
      outcome = error;
      throw error;
    } finally {
      this.signal.removeEventListener("abort", onAbort);
      for (const timer of this.timers) clearInterval(timer);
      this.out.close();
      this.resumeReader?.();
      this.deps.registry.release(this);
      if (this.instanceId) {
        const e = outcome === undefined ? undefined : ConnectError.from(outcome);
        this.deps.logger.info({ sessionId: this.sessionId, instanceId: this.instanceId, code: e ? Code[e.code] : "OK", error: e?.rawMessage }, "daemon detached");
      }
    }
  }

  /** Ends the stream with `error` (or OK without one). */
  end(error?: unknown): void {
    this.out.close(error);
  }

  /** Re-reads the session soon (desired state, token generation, pending work); coalesces bursts of hints. */
  requestRefresh(): void {
    this.refreshWanted = true;
    if (this.refreshing || this.out.closed) return;
    this.refreshing = true;
    void (async () => {
      try {
        while (this.refreshWanted && !this.out.closed) {
          this.refreshWanted = false;
          await this.refresh();
        }
      } catch (error) {
        this.end(error);
      } finally {
        this.refreshing = false;
      }
    })();
  }

  /** Admits the daemon (see hello.ts) and becomes the session's live stream. */
  private async open(hello: Hello): Promise<Welcome> {
    const { sessions, registry, logger } = this.deps;
    const { welcome, committed } = await admit(this.deps, this.daemon, hello);
    this.committed = committed;
    this.workSent = this.workAcked = hello.lastAckedControlSeq;
    if (hello.lastAckedControlSeq > 0n) await sessions.ackWork(this.sessionId, hello.lastAckedControlSeq);
    this.instanceId = hello.instanceId;
    registry.claim(this);
    logger.info(
      { sessionId: this.sessionId, instanceId: hello.instanceId, daemonVersion: hello.daemonVersion, resumed: hello.resumed, resendFrom: welcome.resendFrom.toString() },
      "daemon attached",
    );
    return welcome;
  }

  private reply(payload: AttachResponse["payload"], seq = 0n): void {
    this.out.push(create(AttachResponseSchema, { seq, ack: this.committed, payload }));
    this.lastSent = Date.now();
  }

  /** A heartbeat; like every reply, it carries the current ack. */
  private heartbeat(): void {
    this.reply({ case: "heartbeat", value: create(HeartbeatSchema, { time: timestampNow() }) });
  }

  private startTimers(): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs, pollIntervalMs } = this.deps.options;
    const tick = setInterval(() => {
      const now = Date.now();
      // A reader held back by a full inbox is not a silent daemon.
      if (!this.resumeReader && now - this.lastHeard > heartbeatTimeoutMs) {
        this.end(new ConnectError(`no message from the daemon for ${heartbeatTimeoutMs} ms`, Code.DeadlineExceeded));
      } else if (now - this.lastSent >= heartbeatIntervalMs) {
        this.heartbeat();
      }
    }, Math.max(5, Math.min(heartbeatIntervalMs, heartbeatTimeoutMs) / 5));
    const poll = setInterval(() => this.requestRefresh(), pollIntervalMs);
    tick.unref();
    poll.unref();
    this.timers.push(tick, poll);
  }

  /** Reads the daemon's messages into the inbox until the stream ends, pausing while the inbox is full. */
  private read(iterator: AsyncIterator<AttachRequest>): void {
    const limit = this.deps.options.maxBatch * 4;
    void (async () => {
      try {
        for (;;) {
          const next = await iterator.next();
          if (this.out.closed) return;
          this.lastHeard = Date.now();
          this.inbox.push(next.done ? "end" : next.value);
          this.process();
          if (next.done) return;
          if (this.inbox.length >= limit) await new Promise<void>((resolve) => (this.resumeReader = resolve));
        }
      } catch (error) {
        this.end(error);
      }
    })();
  }

  /** Starts the processor unless it runs; it handles the inbox in order. */
  private process(): void {
    if (this.processing || this.out.closed) return;
    this.processing = true;
    void this.drainInbox()
      .catch((error: unknown) => this.end(error))
      .finally(() => {
        this.processing = false;
        if (this.inbox.length > 0) this.process();
      });
  }

  private takeFromInbox(): void {
    this.inbox.shift();
    if (this.resumeReader && this.inbox.length < this.deps.options.maxBatch) {
      const resume = this.resumeReader;
      this.resumeReader = undefined;
      resume();
    }
  }

  private async drainInbox(): Promise<void> {
    while (this.inbox.length > 0 && !this.out.closed) {
      const first = this.inbox[0]!;
      if (first === "end") {
        this.end(); // the daemon closed its side: nothing more can come
        return;
      }
      const sequenced = checkDaemonMessage(first);
      this.takeFromInbox();
      if (!sequenced) {
        await this.applyAck(first.ack);
        await this.handleControl(first);
        continue;
      }
      // Consecutive events go into one transaction: one commit and one ack for the run.
      const batch: SequencedMessage[] = [sequenced];
      let ack = first.ack;
      while (batch.length < this.deps.options.maxBatch) {
        const next = this.inbox[0];
        if (next === undefined || next === "end") break;
        const more = checkDaemonMessage(next);
        if (!more) break;
        batch.push(more);
        if (next.ack > ack) ack = next.ack;
        this.takeFromInbox();
      }
      await this.applyAck(ack);
      let stored: readonly StoredEvent[] = [];
      this.committed = await withOwnedSession(this.deps.sessions, this.daemon, (em, row) => {
        stored = collectStoredEvents(em);
        return storeSequenced(em, row, batch);
      });
      this.heartbeat();
      // This process's watchers take the batch as committed: no NOTIFY round trip, no read back.
      this.deps.notifier?.publishStored(this.sessionId, stored);
    }
  }

  /** Records the daemon's acknowledgement of work items; it may only acknowledge what it was sent. */
  private async applyAck(ack: bigint): Promise<void> {
    if (ack <= this.workAcked) return;
    if (ack > this.workSent) throw invalid(`ack ${ack} is beyond the last work item sent (${this.workSent})`);
    await this.deps.sessions.ackWork(this.sessionId, ack);
    this.workAcked = ack;
  }

  private async handleControl(request: AttachRequest): Promise<void> {
    const { payload } = request;
    if (payload.case === "ready") {
      this.readyTurn = payload.value.activeTurn;
      const state = await markReady(this.deps.sessions, this.daemon, this.readyTurn, this.instanceId);
      this.deps.logger.info({ sessionId: this.sessionId, instanceId: this.instanceId, state }, "daemon ready");
    } else if (payload.case === "traceSpans") {
      this.deps.forwardSpans?.(payload.value.otlpJson);
    } else if (payload.case === "goodbye") {
      this.deps.logger.info({ sessionId: this.sessionId, instanceId: this.instanceId, reason: payload.value.reason }, "daemon said goodbye");
      this.end();
    }
  }

  private async refresh(): Promise<void> {
    const row = await this.deps.sessions.findById(this.sessionId);
    if (!row) throw new ConnectError("the session no longer exists", Code.FailedPrecondition);
    assertOwner(row, this.daemon);
    // Level-triggered: a daemon can say Ready before the reconciler has written STARTING.
    if (this.readyTurn !== undefined && row.state === "starting") await markReady(this.deps.sessions, this.daemon, this.readyTurn, this.instanceId);
    if (this.shutdownSent) return;
    if (row.desired === "paused" || row.desired === "terminated") {
      this.shutdownSent = true;
      const reason = row.desired === "paused" ? ShutdownReason.PAUSE : ShutdownReason.TERMINATE;
      this.reply({ case: "shutdown", value: create(ShutdownSchema, { reason, gracePeriod: durationFromMs(this.deps.options.shutdownGraceMs) }) });
      this.deps.logger.info({ sessionId: this.sessionId, instanceId: this.instanceId, desired: row.desired }, "asked the daemon to shut down");
      return;
    }
    for (const { seq, payload } of await this.deps.sessions.pendingWork(this.sessionId, this.workSent)) {
      if (this.out.closed || seq <= this.workSent) continue;
      this.reply({ case: "workItem", value: fromBinary(WorkItemSchema, payload) }, seq);
      this.workSent = seq;
    }
  }
}
