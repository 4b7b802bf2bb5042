/**
 * Errors raised inside tools, split by who is at fault (CONVENTIONS 6): the model (bad
 * arguments) or the policy (a refused path or host). They live beside the tools until the
 * package's errors.ts takes them; `runTool` turns them into results.
 */

/** The model passed arguments the tool cannot use; the model may retry with better ones. */
export class ToolInputError extends Error {
  /** Whether a retry could succeed (with corrected arguments). */
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ToolInputError";
  }
}

/** A confinement or egress rule refused the call before it touched anything. */
export class ToolRefusedError extends Error {
  /** Whether a retry could succeed. */
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = "ToolRefusedError";
  }
}
