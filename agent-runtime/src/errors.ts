/**
 * The daemon's errors, split by who is at fault (CONVENTIONS 6): the operator (bad flags or
 * environment), the volume (state the daemon cannot trust), the control plane (a protocol
 * breach), the model (a provider error, which fails only the turn; bad tool arguments), and
 * the policy (a tool call refused before it did anything).
 */
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";

/** A bad command line or environment; the message is one line meant for the operator. */
export class UsageError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "UsageError";
  }
}

/** The daemon's state in the volume is unreadable or inconsistent; continuing could lose or double events. */
export class StateError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(
    message: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} (${path})`, options);
    this.name = "StateError";
  }
}

/** The control plane broke the attach protocol (a sequence gap, a message out of place); reconnecting resynchronises. */
export class ProtocolError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ProtocolError";
  }
}

/** A model call failed the way a provider fails (HTTP error, bad response, scripted error); the turn fails, the session stays usable. */
export class ModelError extends Error {
  /** Whether a retry could succeed (rate limits, overload, 5xx). */
  readonly retryable: boolean;
  /** The provider's HTTP status, when it answered with one. */
  readonly status: number | undefined;
  /** How long the provider asked to wait before a retry (retry-after), in ms. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean; status?: number | undefined; retryAfterMs?: number | undefined }) {
    super(message, options);
    this.name = "ModelError";
    this.retryable = options?.retryable ?? false;
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/** The agent's spec asks for something this daemon cannot do yet (a provider or feature it lacks). */
export class UnsupportedError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "UnsupportedError";
  }
}

/** The session volume is full: the daemon cannot record what it does; the message (for the user) names the volume and how full it is. */
export class VolumeFullError extends Error {
  /** Whether a retry could succeed (once space is freed). */
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "VolumeFullError";
  }
}

/** Why a turn was stopped on request (CancelTurn, pause, delete); used as the turn's AbortSignal reason. */
export class TurnCancelledError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(
    /** The TurnCancelled reason: Cancelled, Paused, Terminating. */
    readonly reason: "Cancelled" | "Paused" | "Terminating",
    /** Who asked, for CancelTurn. */
    readonly cancelledBy?: Principal,
  ) {
    super(`turn ${reason.toLowerCase()}`);
    this.name = "TurnCancelledError";
  }
}

/** The model passed tool arguments the tool cannot use; the model may retry with better ones. */
export class ToolInputError extends Error {
  /** Whether a retry could succeed (with corrected arguments). */
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolInputError";
  }
}

/** A confinement or egress rule refused a tool call before it touched anything. */
export class ToolRefusedError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "ToolRefusedError";
  }
}

/** An MCP server could not be started, reached or listed, or it went away; its tools are unavailable until it is reached again. */
export class McpServerError extends Error {
  /** Whether a retry could succeed (the next turn connects again). */
  readonly retryable = true;
  constructor(
    /** The server's name in the agent spec. */
    readonly server: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "McpServerError";
  }
}

/** A short, secret-free description of any thrown value, for logs. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
