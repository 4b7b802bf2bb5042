/**
 * The daemon's channel to the control plane: attach, and when the stream ends for any reason,
 * attach again after an exponential backoff with full jitter — forever, until the daemon
 * finishes (Goodbye sent, or its deadline passed), the control plane says the session is
 * terminated (FAILED_PRECONDITION), or it refuses the token for good (UNAUTHENTICATED: revoked
 * or expired, PERMISSION_DENIED: another session's), which no retry can fix: only a restart
 * with a fresh token can, and the runtime does that when the daemon exits. The outbox and the work ledger outlive every connection,
 * which is what makes resending and exactly-once application work across them.
 */
import { Code } from "@connectrpc/connect";
import { AttachConnection, type ConnectionSettings } from "./attach-connection.js";
import { Backoff, sleep, type BackoffOptions } from "./backoff.js";

/** How the channel ended. */
export type ChannelEnd =
  /** Goodbye was sent: everything is acknowledged. */
  | "finished"
  /** The deadline passed while finishing; unacknowledged events stay in the outbox for next time. */
  | "deadline"
  /** The control plane refused the session as terminated: the daemon should exit. */
  | "terminated"
  /** The control plane refused the token: the daemon should exit so the runtime restarts it with a new one. */
  | "refused";

/** Options for {@link AttachChannel}. */
export interface AttachChannelOptions extends ConnectionSettings {
  readonly backoff?: BackoffOptions;
}

/** Endings after which the next delay starts again from the base: the connection worked and the cause was transient. */
function transient(code: Code | undefined): boolean {
  return code !== Code.Aborted && code !== Code.InvalidArgument;
}

/** The reconnecting attach channel. */
export class AttachChannel {
  private readonly backoff: Backoff;
  private readonly stopped = new AbortController();
  private connection: AttachConnection | undefined;
  private finishing: string | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private connections = 0;

  constructor(private readonly options: AttachChannelOptions) {
    this.backoff = new Backoff(options.backoff);
  }

  /** Connects and reconnects until the channel ends; never rejects. */
  async run(): Promise<ChannelEnd> {
    const { log } = this.options;
    try {
      for (;;) {
        if (this.stopped.signal.aborted) return "deadline";
        const connection = new AttachConnection(this.options);
        this.connection = connection;
        if (this.finishing !== undefined) connection.finish(this.finishing);
        this.connections++;
        log.info({ attempt: this.backoff.attempt, connection: this.connections }, "attaching");
        const result = await connection.run();
        this.connection = undefined;
        if (result.goodbye) return "finished";
        if (result.code === Code.FailedPrecondition) {
          log.warn({ message: result.message }, "the control plane says the session is terminated");
          return "terminated";
        }
        if (result.code === Code.Unauthenticated || result.code === Code.PermissionDenied) {
          log.error({ code: Code[result.code], message: result.message }, "the control plane refuses this daemon's token; exiting so it can be restarted with a new one");
          return "refused";
        }
        if (this.stopped.signal.aborted) return "deadline";
        if (result.welcomed && transient(result.code)) this.backoff.reset();
        const delayMs = this.backoff.next();
        log.warn({ code: result.code === undefined ? "OK" : Code[result.code], message: result.message, retryInMs: delayMs }, "attach stream ended; reconnecting");
        await sleep(delayMs, this.stopped.signal);
      }
    } finally {
      clearTimeout(this.deadlineTimer);
    }
  }

  /**
   * Starts finishing: no more work items are taken; once everything is acknowledged the daemon
   * says Goodbye and `run()` resolves "finished". At `deadline` (epoch ms) it gives up: `run()`
   * resolves "deadline".
   */
  finish(reason: string, deadline: number): void {
    if (this.finishing !== undefined) return;
    this.finishing = reason;
    this.connection?.finish(reason);
    this.deadlineTimer = setTimeout(() => this.stop(), Math.max(0, deadline - Date.now()));
  }

  /** Sends finished spans on the current stream; false when there is none. */
  sendSpans(otlpJson: Uint8Array): boolean {
    return this.connection?.sendSpans(otlpJson) ?? false;
  }

  /** Stops at once: the current stream is dropped and no new one is opened. */
  stop(): void {
    this.stopped.abort();
    this.connection?.close();
  }

  /** Whether the channel is finishing (work items are left for the next daemon). */
  get isFinishing(): boolean {
    return this.finishing !== undefined;
  }
}
