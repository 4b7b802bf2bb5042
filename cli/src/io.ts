/** The streams a command reads and writes, passed in so the REPL and tests can run commands in-process. */

/** An input stream that may be a terminal. */
export type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** Asks the user things; the REPL supplies one that shares its line editor. */
export interface Prompter {
  /** Asks a question and resolves to the trimmed answer. */
  line(question: string): Promise<string>;
  /** Asks for a secret without echoing it. */
  secret(question: string): Promise<string>;
}

/** Standard streams and environment of one CLI run. */
export interface Io {
  /** Where passwords and JSON requests are read from. */
  readonly stdin: Input;
  /** Results. */
  readonly stdout: NodeJS.WritableStream;
  /** Prompts, progress and errors. */
  readonly stderr: NodeJS.WritableStream;
  /** Environment variables (RAWORC_*). */
  readonly env: NodeJS.ProcessEnv;
  /** Prompts for missing input; absent means prompting on stdin/stderr directly. */
  readonly prompter?: Prompter;
  /** Aborts calls in flight (the REPL's Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** The process's own streams and environment. */
export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}
