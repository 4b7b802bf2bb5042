/**
 * Cross-replica hints through PostgreSQL LISTEN/NOTIFY. A hint only says "look again": the
 * database stays the one source of truth, so a lost hint (a reconnect, a restart) delays a
 * watcher or the reconciler but never loses or doubles anything. Listeners also get a
 * periodic wake-up from their own timers for the same reason.
 *
 * Within one process there is a shortcut: whoever commits events can hand them to this
 * process's watchers at once, without the NOTIFY round trip or a re-read; the NOTIFY still goes
 * out for every replica, and a hint for events already handed over costs nothing.
 */
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import pg from "pg";
import type { Logger } from "../logger.js";

/** The channels Raworc notifies on; the payload is a session id unless said otherwise. */
export const channels = {
  /** New events were stored for the session. */
  events: "raworc_session_events",
  /** The session's desired or observed state changed (reconciler hint). */
  sessions: "raworc_sessions",
  /** Webhook deliveries were queued (dispatcher hint); the payload is the namespace. */
  webhookDeliveries: "raworc_webhook_deliveries",
} as const;

/** A channel name. */
export type Channel = (typeof channels)[keyof typeof channels];

/** A hint: the session ("*": every session, after a reconnect) and, on the events channel, the last event seq stored when known. */
type Listener = (sessionId: string, lastSeq?: bigint) => void;

/** An event this process just committed, with the size of its stored form (for memory bounds). */
export interface StoredEvent {
  readonly event: SessionEvent;
  readonly bytes: number;
}

type StoredListener = (events: readonly StoredEvent[]) => void;

/** Splits an events-channel payload `<session id>:<last seq>` (or a bare id) into its parts. */
function parseHint(payload: string): { sessionId: string; lastSeq?: bigint } {
  const colon = payload.lastIndexOf(":");
  if (colon < 0) return { sessionId: payload };
  const seq = payload.slice(colon + 1);
  return /^\d{1,19}$/.test(seq) ? { sessionId: payload.slice(0, colon), lastSeq: BigInt(seq) } : { sessionId: payload };
}

/** One LISTEN connection per process, fanning hints out to in-process subscribers. */
export class Notifier {
  private client: pg.Client | undefined;
  private readonly listeners = new Map<Channel, Set<Listener>>();
  private readonly storedListeners = new Map<string, Set<StoredListener>>();
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly logger?: Logger,
  ) {}

  /** Connects and listens; call once at start. */
  async start(): Promise<void> {
    await this.connect();
  }

  /** Subscribes to hints on a channel; returns the unsubscribe function. */
  subscribe(channel: Channel, listener: Listener): () => void {
    const set = this.listeners.get(channel) ?? new Set<Listener>();
    set.add(listener);
    this.listeners.set(channel, set);
    return () => set.delete(listener);
  }

  /** Subscribes to the events this process commits for one session, handed over right after each commit; returns the unsubscribe function. */
  subscribeStored(sessionId: string, listener: StoredListener): () => void {
    const set = this.storedListeners.get(sessionId) ?? new Set<StoredListener>();
    set.add(listener);
    this.storedListeners.set(sessionId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.storedListeners.get(sessionId) === set) this.storedListeners.delete(sessionId);
    };
  }

  /** Hands events just committed (consecutive seqs, in order) to this process's subscribers of the session. */
  publishStored(sessionId: string, events: readonly StoredEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.storedListeners.get(sessionId) ?? []) listener(events);
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5000 });
    client.on("notification", (n) => {
      if (!n.payload) return;
      const { sessionId, lastSeq } = n.channel === channels.events ? parseHint(n.payload) : { sessionId: n.payload };
      for (const listener of this.listeners.get(n.channel as Channel) ?? []) listener(sessionId, lastSeq);
    });
    client.on("error", (err) => {
      this.logger?.warn({ err }, "notification connection lost; reconnecting");
      this.scheduleReconnect(client);
    });
    client.on("end", () => this.scheduleReconnect(client));
    await client.connect();
    for (const channel of Object.values(channels)) await client.query(`listen ${channel}`);
    this.client = client;
    // Anything notified while we were away is picked up by a wake-up of every listener.
    for (const [, set] of this.listeners) for (const listener of set) listener("*");
  }

  private scheduleReconnect(failed: pg.Client): void {
    if (this.closed || this.client !== failed || this.reconnectTimer) return;
    this.client = undefined;
    failed.end().catch(() => undefined);
    const attempt = (delay: number) => {
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (this.closed) return;
        this.connect().catch(() => attempt(Math.min(delay * 2, 5000)));
      }, delay);
    };
    attempt(100);
  }
}

/** Sends a hint inside the caller's transaction (delivered on commit, dropped on rollback). */
export function notifySql(channel: Channel): string {
  return `select pg_notify('${channel}', ?)`;
}

/** The events-channel payload saying the session's events up to `lastSeq` are stored: a watcher past it can ignore the hint. */
export function eventsHint(sessionId: string, lastSeq: bigint): string {
  return `${sessionId}:${lastSeq}`;
}
