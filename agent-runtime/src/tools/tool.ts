/**
 * The `Tool` port (CONVENTIONS 7): a built-in tool the daemon offers to a model, described by a
 * JSON schema and run against the session's workspace with limits and an AbortSignal.
 */

/** A JSON schema describing a tool's arguments, as sent to the model. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Limits of one tool call, from its ToolSpec. */
export interface ToolLimits {
  /** How long the call may run before it is stopped. */
  readonly timeoutMs: number;
  /** How many bytes of output are returned; the rest is cut and marked truncated. */
  readonly maxOutputBytes: number;
}

/** The limits of a ToolSpec that sets none: 2 minutes and 64 KiB. */
export const DEFAULT_TOOL_LIMITS: ToolLimits = { timeoutMs: 120_000, maxOutputBytes: 64 * 1024 };

/** What a tool call runs against. */
export interface ToolContext {
  /** The session's workspace (absolute); file tools never reach outside it. */
  readonly workspace: string;
  /** Aborted when the turn is cancelled; the tool stops promptly. */
  readonly signal: AbortSignal;
  /** The call's limits. */
  readonly limits: ToolLimits;
}

/**
 * How a call ended: ok; error (the tool ran and failed, or the arguments were bad); refused (a
 * confinement or egress rule stopped it before it did anything); timeout; cancelled.
 */
export type ToolStatus = "ok" | "error" | "refused" | "timeout" | "cancelled";

/** The result of one tool call, returned to the model. */
export interface ToolResult {
  /** Text for the model, already capped at the call's maxOutputBytes. */
  readonly output: string;
  /** How the call ended. */
  readonly status: ToolStatus;
  /** The process's exit code, for the shell tool. */
  readonly exitCode?: number;
  /** Whether output was cut at a cap. */
  readonly truncated: boolean;
}

/** A built-in tool. */
export interface Tool {
  /** The name the model calls it by (a ToolSpec name). */
  readonly name: string;
  /** What the tool does, for the model. */
  readonly description: string;
  /** The JSON schema of its arguments. */
  readonly parameters: JsonSchema;
  /** Runs one call; never throws for bad arguments or refusals, which are results. */
  run(args: unknown, ctx: ToolContext): Promise<ToolResult>;
}
