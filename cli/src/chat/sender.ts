/** Calls the chat makes on its session, with sends that survive a control plane going away. */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { backoffDelays, sleep } from "./backoff.js";

/** How long a send keeps retrying an unavailable server (default 2 minutes). */
const sendRetryForMs = 120_000;

// UNAVAILABLE: no server answered. UNKNOWN: the connection broke mid-call (the server may have stored the message: the key makes the retry safe).
const retryable = (error: ConnectError) => error.code === Code.Unavailable || error.code === Code.Unknown;

/** The session's calls as the chat uses them. */
export class ChatCalls {
  private readonly client;

  constructor(
    private readonly conn: Connection,
    /** The session. */
    readonly ref: ObjectRefText,
  ) {
    this.client = createClient(SessionService, conn.transport);
  }

  /**
   * Sends a message with a fresh idempotency key; a send that fails because the server is
   * unavailable is retried with the same key, so it is never stored twice.
   */
  async send(text: string, agent: string, onRetry: (error: ConnectError) => void, signal?: AbortSignal): Promise<{ messageId: string; seq: bigint }> {
    const idempotencyKey = `chat-${randomUUID()}`;
    const delays = backoffDelays();
    const since = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.client.sendMessage({ ref: this.ref, text, agent, idempotencyKey }, { signal });
        return { messageId: res.messageId, seq: res.seq };
      } catch (error) {
        const failure = ConnectError.from(error);
        if (signal?.aborted || !retryable(failure) || Date.now() - since > sendRetryForMs) throw failure;
        if (attempt === 0) onRetry(failure);
        await sleep(delays.next().value, signal);
      }
    }
  }

  /** Approves or denies a tool call waiting for approval. */
  async decide(toolCallId: string, approve: boolean, reason: string): Promise<void> {
    await this.client.approveToolCall({ ref: this.ref, toolCallId, approve, reason }, { signal: this.conn.signal });
  }

  /** Asks the daemon to stop the running turn; resolves to the turn asked to stop, 0 when none ran. */
  async cancel(): Promise<number> {
    return (await this.client.cancelTurn({ ref: this.ref, reason: "cancelled from raworc chat" }, { signal: this.conn.signal })).turn;
  }
}
