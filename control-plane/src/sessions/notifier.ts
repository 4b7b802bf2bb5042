/**
 * Cross-replica hints through PostgreSQL LISTEN/NOTIFY. A hint only says "look again": the
 * database stays the one source of truth, so a lost hint (a reconnect, a restart) delays a
 * watcher or the reconciler but never loses or doubles anything. Listeners also get a
 * periodic wake-up from their own timers for the same reason.
 */
import pg from "pg";
import type { Logger } from "../logger.js";

/** The channels Raworc notifies on; the payload is a session id. */
export const channels = {
  /** New events were stored for the session. */
  events: "raworc_session_events",
  /** The session's desired or observed state changed (reconciler hint). */
  sessions: "raworc_sessions",
} as const;

/** A channel name. */
export type Channel = (typeof channels)[keyof typeof channels];

type Listener = (sessionId: string) => void;

/** One LISTEN connection per process, fanning hints out to in-process subscribers. */
export class Notifier {
  private client: pg.Client | undefined;
  private readonly listeners = new Map<Channel, Set<Listener>>();
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
      for (const listener of this.listeners.get(n.channel as Channel) ?? []) listener(n.payload);
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
