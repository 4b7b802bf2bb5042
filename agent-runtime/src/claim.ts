/**
 * A warm daemon (`raworc-agent --await-claim`): started by the process runtime's warm pool with
 * its code loaded but no session, no token and no volume. It says "loaded" on its IPC channel
 * and waits; the control plane claims it by sending the session, and only then does it hold a
 * token (in memory: never in argv or its environment). A warm daemon whose control plane goes
 * away (the channel closes) has nothing to do and exits.
 */
import { daemonEnv, daemonFlags, warmPoolMessages } from "@raworc/contract";
import { parseClaimedConfig, type DaemonConfig } from "./config.js";
import { daemonVersion } from "./daemon.js";
import { UsageError } from "./errors.js";
import { createLogger, logLevels, type LogLevel } from "./logger.js";

/** The message a warm daemon sends once its code is loaded. */
const loadedMessage = { type: warmPoolMessages.loaded } as const;

/** Waits for the claim and returns the configuration it carries, with the process moved into the session's volume. */
export function awaitClaim(env: NodeJS.ProcessEnv): Promise<DaemonConfig> {
  const send = process.send?.bind(process);
  if (!send) throw new UsageError(`${daemonFlags.awaitClaim} needs the IPC channel of the process runtime's warm pool`);
  return new Promise((resolve, reject) => {
    const onDisconnect = (): void => process.exit(0);
    const onMessage = (message: unknown): void => {
      if (typeof message !== "object" || message === null || (message as { type?: unknown }).type !== warmPoolMessages.claim) return;
      process.off("message", onMessage);
      process.off("disconnect", onDisconnect);
      // From here on the daemon belongs to its session, not to the control plane that spawned it.
      process.disconnect();
      try {
        const config = parseClaimedConfig(message, env);
        process.chdir(config.workspace);
        // As for a cold start, HOME is in the volume: what tools keep there survives a pause and is remixed.
        process.env.HOME = config.workspace;
        resolve(config);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    process.on("message", onMessage);
    process.on("disconnect", onDisconnect);
    send(loadedMessage);
    // The first line of what becomes the session's log: this daemon was started before its session.
    const level = logLevels.find((l) => l === env[daemonEnv.logLevel]) ?? "info";
    createLogger(level satisfies LogLevel, { pid: process.pid, version: daemonVersion }).info("warm daemon loaded; waiting for a session");
  });
}
