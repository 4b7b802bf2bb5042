/** `raworc start`: runs the control plane in this process until SIGTERM or SIGINT, then leaves sessions running or pauses them. */
import { InvalidArgumentError, Option, type Command } from "commander";
import { ExitCode } from "../errors.js";

/** Flags of `raworc start`; unset ones fall back to RAWORC_* variables, then defaults. */
export interface StartOptions {
  readonly host?: string;
  readonly port?: number;
  readonly dataDir?: string;
  readonly logLevel?: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** Pause the running sessions when the server stops, instead of leaving their daemons running. */
  readonly stopSessionsOnExit?: boolean;
}

/** Runs the server and resolves to its exit code once it has shut down. */
export async function start(options: StartOptions): Promise<number> {
  // Only this command needs the server, so the rest of the CLI never loads it.
  const { runServer } = await import("@raworc/control-plane");
  return runServer(options);
}

/** Adds `start` to the program. */
export function configureStartCommand(program: Command): void {
  program
    .command("start")
    .description("run the control plane (embedded PostgreSQL unless RAWORC_DATABASE_URL is set)")
    .option("--host <host>", "address to listen on (default 127.0.0.1, env RAWORC_HOST)")
    .option("--port <port>", "port to listen on, 0 for any free one (default 9000, env RAWORC_PORT)", parsePort)
    .option("--data-dir <dir>", "data directory (default ~/.raworc/data, env RAWORC_DATA_DIR)")
    .addOption(
      new Option("--log-level <level>", "log level (default info, env RAWORC_LOG_LEVEL)").choices([
        "fatal",
        "error",
        "warn",
        "info",
        "debug",
        "trace",
        "silent",
      ]),
    )
    .option("--stop-sessions-on-exit", "on SIGINT/SIGTERM, pause the running sessions before stopping (env RAWORC_STOP_SESSIONS_ON_EXIT=true)")
    .addHelpText(
      "after",
      "\nStopping (Ctrl-C, SIGTERM): by default the sessions' daemons keep running, and the next `raworc start` on\nthe same data directory adopts them. With --stop-sessions-on-exit the running sessions are paused first\n(daemons stopped, volumes and conversations kept); a message or `raworc sessions resume` starts each again.",
    )
    .action(async (options: StartOptions) => {
      const code = await start(options);
      if (code !== 0) throw new ExitCode(code);
    });
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError("must be a number from 0 to 65535");
  return port;
}
