/**
 * How a `raworc-agent` daemon is started: its command-line flags and the environment variables
 * it reads. The control plane's runtimes (process, kubernetes) write them; the daemon parses them.
 */

/** The daemon's command-line flags. */
export const daemonFlags = {
  /** The control plane's URL (`http://`, `https://`, or `unix:` + a socket path). */
  controlPlane: "--control-plane",
  /** The session's uid. */
  sessionId: "--session-id",
  /** The session's volume: the daemon's working directory. */
  workspace: "--workspace",
  /** A warm daemon: loaded, waiting for a session over the process runtime's IPC channel. */
  awaitClaim: "--await-claim",
} as const;

/** Environment variables the daemon reads. */
export const daemonEnv = {
  /** The session-scoped daemon token; read once at start and removed from the environment. */
  sessionToken: "RAWORC_SESSION_TOKEN",
  /** pino log level. */
  logLevel: "RAWORC_LOG_LEVEL",
  /** Grace period for SIGTERM/SIGINT, in milliseconds. */
  shutdownGraceMs: "RAWORC_SHUTDOWN_GRACE_MS",
  /**
   * `attach` when the control plane traces: the daemon records spans and sends them over its
   * Attach stream, and the control plane exports them with its own OTEL_* settings (a sandboxed
   * daemon has no network of its own). Unset: no tracing, nothing loaded.
   */
  traces: "RAWORC_TRACES",
} as const;

/** The daemon's exit codes, as the control plane's reconciler reads them. */
export const daemonExitCodes = {
  /** Stopped on request (pause, shutdown). */
  ok: 0,
  /** Could not run (the volume's state cannot be trusted, an unexpected error). */
  fatal: 1,
  /** Bad command line or environment. */
  usage: 2,
  /** The control plane refused the daemon (session gone, token revoked). */
  refused: 3,
  /** The session volume is full: a restart would hit the same wall. */
  volumeFull: 4,
} as const;

/** An exit code of the daemon. */
export type DaemonExitCode = (typeof daemonExitCodes)[keyof typeof daemonExitCodes];
