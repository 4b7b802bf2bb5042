/**
 * The control plane's process entry: configuration, start, signals, exit codes. `raworc start`
 * and `npm start` land here.
 */
import { loadServerConfig, type ServerFlags } from "./config.js";
import { ConfigurationError } from "./errors.js";
import { createLogger } from "./logger.js";
import { maskDatabaseUrl } from "./store/database-url.js";
import { startServer } from "./server.js";

/** Runs the server until SIGTERM or SIGINT; returns the process exit code. */
export async function runServer(flags: ServerFlags): Promise<number> {
  let config;
  try {
    config = loadServerConfig(flags);
  } catch (error) {
    process.stderr.write(`raworc: ${(error as Error).message}\n`);
    return 1;
  }
  const logger = createLogger(config.logLevel);
  let server;
  try {
    server = await startServer(config, { logger });
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
    const url = config.databaseUrl;
    // Startup failures are one line for the operator; URLs in them never show a password.
    process.stderr.write(`raworc: ${url ? message.replaceAll(url, maskDatabaseUrl(url)) : message}\n`);
    if (!(error instanceof ConfigurationError)) logger.debug({ err: error }, "start failed");
    return 1;
  }
  process.stderr.write(`raworc control plane listening on ${server.url}\n`);
  if (server.bootstrap.created && server.bootstrap.passwordFile) {
    process.stderr.write(`admin password written to ${server.bootstrap.passwordFile} (log in with: raworc login --username admin)\n`);
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  logger.info({ signal }, "shutting down");
  const running = await server.runningSessions().catch(() => undefined);
  process.stderr.write(`${stopNotice(signal, running, config.stopSessionsOnExit)}\n`);
  await server.stop();
  return 0;
}

/** What stopping does to the sessions, said on the terminal the operator pressed Ctrl-C in. */
function stopNotice(signal: NodeJS.Signals, running: number | undefined, stopSessions: boolean): string {
  const head = `raworc: stopping (${signal})`;
  if (running === 0) return `${head}; no session is running`;
  const sessions = running === undefined ? "the running sessions" : running === 1 ? "the 1 running session" : `the ${running} running sessions`;
  if (stopSessions) return `${head}; pausing ${sessions} first (--stop-sessions-on-exit): a message or \`raworc sessions resume\` starts each again`;
  return `${head}; ${sessions} keep${running === 1 ? "s" : ""} running: the next \`raworc start\` adopts ${running === 1 ? "it" : "them"} (to pause sessions with the server: raworc start --stop-sessions-on-exit)`;
}
