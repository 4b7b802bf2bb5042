/**
 * A reader that goes away (`raworc … | head -1`) closes the pipe under stdout or stderr: the
 * next write fails with EPIPE. Command-line tools end quietly then, as if killed by SIGPIPE
 * (which Node ignores), instead of printing an unhandled 'error' event's stack trace.
 */

/** The exit status a shell shows for a process killed by SIGPIPE (128 + 13): `set -o pipefail` still sees that the output was cut short. */
export const brokenPipeExitCode = 141;

/** Ends the process quietly with {@link brokenPipeExitCode} when a write to one of `streams` finds its reader gone; other stream errors stay fatal. */
export function exitQuietlyOnBrokenPipe(streams: readonly NodeJS.WritableStream[]): void {
  for (const stream of streams) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(brokenPipeExitCode);
      // Not ours to hide: rethrown from the listener, it is an uncaught exception as before.
      throw error;
    });
  }
}
