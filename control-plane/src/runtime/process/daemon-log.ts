/**
 * The daemon's stdout and stderr, written straight to `daemon.log` by the child itself (a
 * file, not a pipe, so the daemon outlives a control-plane restart without EPIPE), and kept
 * under a size cap by copy-and-truncate rotation into `daemon.log.1`.
 */
import { openSync } from "node:fs";
import { copyFile, stat, truncate } from "node:fs/promises";

/** Opens the log for the child's stdout and stderr, appending; the caller closes the fd after spawn. */
export function openDaemonLogSync(file: string): number {
  return openSync(file, "a", 0o600);
}

/**
 * Moves the log's content to `<file>.1` (replacing the previous one) when it is larger than
 * maxBytes; returns whether it did. The child writes with O_APPEND, so after the truncation
 * it carries on at the start of the file; lines written between the copy and the truncation
 * are lost, which is the price of never having to signal the daemon to reopen its log.
 */
export async function rotateDaemonLog(file: string, maxBytes: number): Promise<boolean> {
  const size = await stat(file).then(
    (s) => s.size,
    () => 0,
  );
  if (size <= maxBytes) return false;
  await copyFile(file, `${file}.1`);
  await truncate(file, 0);
  return true;
}
