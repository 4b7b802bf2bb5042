/** The connection a command's calls go through: the resolved server and token, and the run's abort signal. */
import type { Io } from "./io.js";
import type { Connection } from "./objects/kind.js";
import { resolveTarget, transportFor, type GlobalOptions } from "./target.js";

/** Resolves the target from the global options and environment and opens a transport to it. */
export async function connect(globals: GlobalOptions, io: Io): Promise<Connection> {
  const transport = transportFor(await resolveTarget(globals, io.env), io.env);
  return io.signal ? { transport, signal: io.signal } : { transport };
}
