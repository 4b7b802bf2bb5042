/**
 * The `raworc-agent` process: reads its configuration (from its command line, or from a warm-pool
 * claim), runs the daemon, and exits with its code.
 * SIGTERM and SIGINT stop it like Shutdown(PAUSE); a second signal exits at once (the outbox is
 * durable, so nothing is lost, only not yet sent).
 */
import { awaitClaim } from "./claim.js";
import { parseDaemonConfig, type DaemonConfig } from "./config.js";
import { daemonEnv, daemonExitCodes as exitCodes, daemonFlags } from "@raworc/contract";
import { daemonVersion, startDaemon, type Daemon } from "./daemon.js";
import { describeError, UsageError } from "./errors.js";
import { createLogger } from "./logger.js";
import { isVolumeFull } from "./state/volume-reserve.js";

async function main(): Promise<number> {
  let config: DaemonConfig;
  try {
    const argv = process.argv.slice(2);
    config = argv.length === 1 && argv[0] === daemonFlags.awaitClaim ? await awaitClaim(process.env) : parseDaemonConfig(argv, process.env);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`raworc-agent: ${error.message}\n`);
      return exitCodes.usage;
    }
    throw error;
  }
  // The token stays in memory only; children the agent starts later must not inherit it.
  delete process.env[daemonEnv.sessionToken];
  const log = createLogger(config.logLevel, { sessionId: config.sessionId, pid: process.pid, version: daemonVersion });
  let daemon: Daemon;
  try {
    daemon = await startDaemon(config, log);
  } catch (error) {
    log.fatal({ err: describeError(error) }, "cannot start");
    return isVolumeFull(error) ? exitCodes.volumeFull : exitCodes.fatal;
  }
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, "second signal; exiting now");
      process.exit(exitCodes.fatal);
    }
    log.info({ signal }, "signal received; stopping like a pause");
    daemon.stop(config.signalGraceMs);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  return daemon.done;
}

process.exit(await main());
