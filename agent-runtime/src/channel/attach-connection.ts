/**
 * One attach stream, from Hello to its end. The daemon says Hello; on Welcome it drops what the
 * control plane has committed, resends the rest of its outbox from `resend_from` in seq order,
 * says Ready, then keeps sending new outbox entries as they are written. Every message carries
 * the highest control seq recorded (ack). Heartbeats go out when the stream has been quiet for
 * the Welcome's interval; nothing heard for the Welcome's timeout drops the stream. While the
 * daemon is finishing, it takes no work and says Goodbye once everything is acknowledged.
 */
import { create } from "@bufbuild/protobuf";
import { durationMs, timestampNow } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  AttachRequestSchema,
  GoodbyeSchema,
  HeartbeatSchema,
  HelloSchema,
  ReadySchema,
  RuntimeService,
  type AttachRequest,
  type Hello,
  type Shutdown,
  type Welcome,
  type WorkItem,
} from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { describeError, ProtocolError } from "../errors.js";
import type { Logger } from "../logger.js";
import { AsyncQueue } from "./async-queue.js";
import type { Outbox } from "./outbox.js";

/** What the daemon decides on a connection's behalf. */
export interface ConnectionHandlers {
  /** The Hello fields that describe the volume (seqs, resumed). */
  hello(): Pick<Hello, "lastAckedControlSeq" | "lastDaemonSeq" | "resumed">;
  /** Takes the session's configuration (agents, secrets, restore); resolves when the daemon can go on. */
  welcome(welcome: Welcome): Promise<void>;
  /** The Ready fields. */
  ready(): { lastTurn: number; activeTurn: number };
  /** Applies (or recognises as a resend) one work item; a ProtocolError drops the stream. */
  workItem(seq: bigint, item: WorkItem): Promise<void>;
  /** The control plane asks the daemon to stop. */
  shutdown(shutdown: Shutdown): void;
}

/** Settings shared by every connection of the daemon. */
export interface ConnectionSettings {
  readonly url: string;
  readonly token: string;
  readonly sessionId: string;
  readonly instanceId: string;
  readonly daemonVersion: string;
  readonly outbox: Outbox;
  /** The highest control seq recorded durably. */
  readonly acked: () => bigint;
  readonly handlers: ConnectionHandlers;
  readonly log: Logger;
  /** How long to wait for Welcome after opening the stream; default 30 s. */
  readonly welcomeTimeoutMs?: number;
}

/** How a connection ended. */
export interface ConnectionResult {
  /** Whether Welcome arrived. */
  readonly welcomed: boolean;
  /** Whether Goodbye was sent (everything acknowledged, the daemon may exit). */
  readonly goodbye: boolean;
  /** The status the stream ended with; undefined when the server closed it cleanly. */
  readonly code: Code | undefined;
  readonly message: string;
}

/** Heartbeat settings used until Welcome says otherwise. */
const defaultIntervalMs = 10_000;
const defaultTimeoutMs = 30_000;
/** How long to wait for the server to close the stream after Goodbye. */
const goodbyeLingerMs = 2_000;

/** One attach stream; `nudge()` wakes it when the daemon starts finishing. */
export class AttachConnection {
  private readonly requests = new AsyncQueue<AttachRequest>();
  private readonly abort = new AbortController();
  private wakeSender: (() => void) | undefined;
  private finishing: string | undefined;
  private welcomed = false;
  private goodbyeSent = false;
  private lastSent = Date.now();
  private lastHeard = Date.now();
  private intervalMs = defaultIntervalMs;
  private timeoutMs: number;
  private timedOut = false;

  constructor(private readonly settings: ConnectionSettings) {
    this.timeoutMs = settings.welcomeTimeoutMs ?? defaultTimeoutMs;
  }

  /** Starts finishing: no more work; Goodbye with `reason` once the outbox is empty. */
  finish(reason: string): void {
    this.finishing ??= reason;
    this.wake();
  }

  /** Drops the stream now (deadline reached or daemon exiting). */
  close(): void {
    this.abort.abort();
  }

  /** Runs the stream until it ends; never rejects. */
  async run(): Promise<ConnectionResult> {
    const { settings } = this;
    const sessionManager = new Http2SessionManager(settings.url);
    const client = createClient(RuntimeService, createGrpcTransport({ baseUrl: settings.url, sessionManager }));
    const watchdog = setInterval(() => this.tick(), 100);
    this.requests.push(
      create(AttachRequestSchema, {
        payload: {
          case: "hello",
          value: create(HelloSchema, {
            sessionId: settings.sessionId,
            daemonVersion: settings.daemonVersion,
            protocolVersion: 1,
            instanceId: settings.instanceId,
            ...settings.handlers.hello(),
          }),
        },
      }),
    );
    try {
      const responses = client.attach(this.stamped(), { signal: this.abort.signal, headers: { authorization: `Bearer ${settings.token}` } });
      for await (const response of responses) {
        this.lastHeard = Date.now();
        if (response.ack > 0n) this.acknowledge(response.ack);
        const payload = response.payload;
        switch (payload.case) {
          case "welcome":
            if (this.welcomed) throw new ProtocolError("a second Welcome on one stream");
            await this.onWelcome(payload.value);
            break;
          case "workItem":
            if (!this.welcomed) throw new ProtocolError("a work item before Welcome");
            // While finishing, work is neither applied nor acknowledged: it is resent to the next daemon.
            if (this.finishing !== undefined) break;
            await settings.handlers.workItem(response.seq, payload.value);
            this.send(create(AttachRequestSchema, { payload: { case: "heartbeat", value: create(HeartbeatSchema, { time: timestampNow() }) } }));
            break;
          case "heartbeat":
            break;
          case "shutdown":
            settings.handlers.shutdown(payload.value);
            break;
          default:
            throw new ProtocolError("a response without a payload");
        }
      }
      return this.result(undefined, "stream closed by the control plane");
    } catch (error) {
      if (error instanceof ProtocolError) {
        settings.log.warn({ err: error.message }, "protocol error; dropping the stream");
        return this.result(Code.InvalidArgument, error.message);
      }
      const connectError = ConnectError.from(error);
      if (this.timedOut) return this.result(Code.DeadlineExceeded, "heartbeat timeout: nothing heard from the control plane");
      return this.result(connectError.code, connectError.rawMessage);
    } finally {
      clearInterval(watchdog);
      this.requests.close();
      this.abort.abort();
      this.wake();
      sessionManager.abort();
    }
  }

  private result(code: Code | undefined, message: string): ConnectionResult {
    return { welcomed: this.welcomed, goodbye: this.goodbyeSent, code, message };
  }

  /** The request stream: each queued message stamped with the current ack as it leaves. */
  private async *stamped(): AsyncGenerator<AttachRequest> {
    for await (const request of this.requests) {
      this.lastSent = Date.now();
      yield create(AttachRequestSchema, { seq: request.seq, ack: this.settings.acked(), payload: request.payload });
    }
  }

  /** Sends finished spans (seq 0, best effort); false when the stream is not welcomed or already closing. */
  sendSpans(otlpJson: Uint8Array): boolean {
    if (!this.welcomed || this.requests.isClosed) return false;
    this.send(create(AttachRequestSchema, { payload: { case: "traceSpans", value: { otlpJson } } }));
    return true;
  }

  private send(request: AttachRequest): void {
    this.lastSent = Date.now();
    this.requests.push(request);
  }

  private acknowledge(ack: bigint): void {
    if (ack > this.settings.outbox.lastSeq) {
      this.settings.log.warn({ ack: ack.toString(), lastSeq: this.settings.outbox.lastSeq.toString() }, "ack beyond the last seq written; ignored");
      return;
    }
    this.settings.outbox.acknowledge(ack).catch((error: unknown) => this.settings.log.error({ err: describeError(error) }, "cannot remove acknowledged outbox entries"));
  }

  private async onWelcome(welcome: Welcome): Promise<void> {
    const { outbox, handlers, log } = this.settings;
    this.welcomed = true;
    if (welcome.heartbeatInterval) this.intervalMs = Math.max(10, durationMs(welcome.heartbeatInterval));
    this.timeoutMs = welcome.heartbeatTimeout ? Math.max(this.intervalMs, durationMs(welcome.heartbeatTimeout)) : defaultTimeoutMs;
    await handlers.welcome(welcome);
    const resendFrom = welcome.resendFrom > 0n ? welcome.resendFrom : 1n;
    if (resendFrom - 1n > outbox.lastSeq) {
      log.warn({ resendFrom: resendFrom.toString(), lastSeq: outbox.lastSeq.toString() }, "the control plane committed seqs this volume never wrote; skipping past them");
      await outbox.advanceTo(resendFrom - 1n);
    }
    await outbox.acknowledge(resendFrom - 1n);
    const first = outbox.firstSeq();
    if (first !== undefined && first > resendFrom) {
      log.error({ resendFrom: resendFrom.toString(), first: first.toString() }, "the control plane asks for events it acknowledged before; they are gone");
    }
    log.info({ resendFrom: resendFrom.toString(), pending: outbox.size, heartbeatMs: this.intervalMs }, "welcomed");
    this.pump(resendFrom).catch((error: unknown) => {
      log.error({ err: describeError(error) }, "sending failed; dropping the stream");
      this.abort.abort();
    });
  }

  /** Sends outbox entries from `cursor` on, in order, as they appear; Ready after the resend; Goodbye when finished. */
  private async pump(cursor: bigint): Promise<void> {
    const { outbox, handlers } = this.settings;
    const drain = (): void => {
      for (; cursor <= outbox.lastSeq; cursor++) {
        const entry = outbox.get(cursor);
        if (entry) this.send(entry);
      }
    };
    drain();
    if (this.finishing === undefined) this.send(create(AttachRequestSchema, { payload: { case: "ready", value: create(ReadySchema, handlers.ready()) } }));
    while (!this.abort.signal.aborted && !this.goodbyeSent) {
      if (this.finishing !== undefined && outbox.size === 0) {
        this.send(create(AttachRequestSchema, { payload: { case: "goodbye", value: create(GoodbyeSchema, { reason: this.finishing }) } }));
        this.goodbyeSent = true;
        this.requests.close();
        setTimeout(() => this.abort.abort(), goodbyeLingerMs).unref();
        break;
      }
      await Promise.race([outbox.changed(this.abort.signal), new Promise<void>((resolve) => (this.wakeSender = resolve))]);
      drain();
    }
  }

  private wake(): void {
    const wake = this.wakeSender;
    this.wakeSender = undefined;
    wake?.();
  }

  /** Heartbeats when quiet; drops the stream when the control plane has been silent too long. */
  private tick(): void {
    const now = Date.now();
    if (now - this.lastHeard > this.timeoutMs) {
      this.timedOut = true;
      this.abort.abort();
      return;
    }
    if (this.welcomed && !this.requests.isClosed && now - this.lastSent >= this.intervalMs) {
      this.send(create(AttachRequestSchema, { payload: { case: "heartbeat", value: create(HeartbeatSchema, { time: timestampNow() }) } }));
    }
  }
}
