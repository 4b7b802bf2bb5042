/**
 * The live attach streams of this process, one per session: a newer attach replaces the older
 * one (which ends ABORTED). Also routes session hints to the stream they concern, so a hint
 * costs one map lookup however many daemons are attached.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { channels, type Notifier } from "../notifier.js";

/** What the registry needs of a stream. */
export interface LiveStream {
  readonly sessionId: string;
  /** Re-reads the session (desired state, pending work) soon. */
  requestRefresh(): void;
  /** Ends the stream with `error`. */
  end(error: ConnectError): void;
}

/** One live attach stream per session in this process. */
export class AttachRegistry {
  private readonly live = new Map<string, LiveStream>();
  private readonly unsubscribe: (() => void) | undefined;
  private closedWith: ConnectError | undefined;

  constructor(notifier?: Pick<Notifier, "subscribe">) {
    this.unsubscribe = notifier?.subscribe(channels.sessions, (sessionId) => {
      if (sessionId === "*") for (const stream of this.live.values()) stream.requestRefresh();
      else this.live.get(sessionId)?.requestRefresh();
    });
  }

  /** Makes `stream` its session's live stream, ending the one it replaces; UNAVAILABLE once the registry is closed. */
  claim(stream: LiveStream): void {
    if (this.closedWith) throw this.closedWith;
    const previous = this.live.get(stream.sessionId);
    this.live.set(stream.sessionId, stream);
    if (previous && previous !== stream) {
      previous.end(new ConnectError("replaced by a newer attach for this session", Code.Aborted));
    }
  }

  /** Forgets `stream` if it is still its session's live stream. */
  release(stream: LiveStream): void {
    if (this.live.get(stream.sessionId) === stream) this.live.delete(stream.sessionId);
  }

  /** Whether a daemon of the session is attached to this process. */
  isAttached(sessionId: string): boolean {
    return this.live.has(sessionId);
  }

  /** Ends every stream (UNAVAILABLE: the daemons reconnect, to another replica if there is one) and refuses new ones. */
  close(): void {
    this.closedWith ??= new ConnectError("the control plane is shutting down; reconnect", Code.Unavailable);
    this.unsubscribe?.();
    for (const stream of [...this.live.values()]) stream.end(this.closedWith);
    this.live.clear();
  }
}
