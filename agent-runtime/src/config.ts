/**
 * The daemon's configuration: `raworc-agent --control-plane URL --session-id ID --workspace DIR`,
 * the session token from `RAWORC_SESSION_TOKEN` (never argv, where `ps` would show it), and
 * optional `RAWORC_*` tuning variables. Validated once at start; an invalid value is a one-line
 * UsageError.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { daemonEnv, daemonFlags } from "@raworc/contract";
import { z } from "zod";
import { UsageError } from "./errors.js";
import { logLevels, type LogLevel } from "./logger.js";

/** The validated configuration the daemon runs with. */
export interface DaemonConfig {
  /** The control plane's base URL (http:// for cleartext HTTP/2, https:// for TLS). */
  readonly controlPlaneUrl: string;
  /** The session's uid. */
  readonly sessionId: string;
  /** The session's volume, as an absolute path; the daemon keeps its own state in `.raworc/` under it. */
  readonly workspace: string;
  /** The session-scoped daemon token, sent as `authorization: Bearer`. */
  readonly token: string;
  /** pino log level (`RAWORC_LOG_LEVEL`, default info). */
  readonly logLevel: LogLevel;
  /** Grace period for SIGTERM/SIGINT, which act as Shutdown(PAUSE) (`RAWORC_SHUTDOWN_GRACE_MS`, default 5000). */
  readonly signalGraceMs: number;
  /** Whether to record spans and send them over the Attach stream (`RAWORC_TRACES=attach`). */
  readonly traces: boolean;
}

/** The usage line printed with a UsageError. */
export const usage = `usage: raworc-agent ${daemonFlags.controlPlane} URL ${daemonFlags.sessionId} ID ${daemonFlags.workspace} DIR (token in ${daemonEnv.sessionToken})
       raworc-agent ${daemonFlags.awaitClaim} (a warm daemon: the session arrives over the IPC channel of the process runtime)`;

const schema = z.object({
  controlPlaneUrl: z
    .string({ error: `${daemonFlags.controlPlane} is required` })
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), `${daemonFlags.controlPlane} must be an http:// or https:// URL`),
  sessionId: z
    .string({ error: `${daemonFlags.sessionId} is required` })
    .min(1, `${daemonFlags.sessionId} must not be empty`)
    .max(64, `${daemonFlags.sessionId} is at most 64 characters`),
  workspace: z.string({ error: `${daemonFlags.workspace} is required` }).min(1, `${daemonFlags.workspace} must not be empty`),
  token: z.string({ error: `${daemonEnv.sessionToken} is not set` }).min(1, `${daemonEnv.sessionToken} is empty`),
  logLevel: z.enum(logLevels, { error: `${daemonEnv.logLevel} must be one of ${logLevels.join(", ")}` }).default("info"),
  signalGraceMs: z.coerce
    .number({ error: `${daemonEnv.shutdownGraceMs} must be a number of milliseconds` })
    .int(`${daemonEnv.shutdownGraceMs} must be a whole number of milliseconds`)
    .min(0)
    .max(3_600_000)
    .default(5000),
  traces: z.enum(["attach", "off"], { error: `${daemonEnv.traces} must be "attach" or unset` }).default("off"),
});

/** `--name` → `name`, as parseArgs keys its options. */
const flagName = (flag: string): string => flag.slice(2);

/** Parses and validates the command line (without node and script) and the environment. */
export function parseDaemonConfig(argv: readonly string[], env: NodeJS.ProcessEnv): DaemonConfig {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        [flagName(daemonFlags.controlPlane)]: { type: "string" },
        [flagName(daemonFlags.sessionId)]: { type: "string" },
        [flagName(daemonFlags.workspace)]: { type: "string" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
  return validate(
    {
      controlPlaneUrl: values[flagName(daemonFlags.controlPlane)],
      sessionId: values[flagName(daemonFlags.sessionId)],
      workspace: values[flagName(daemonFlags.workspace)],
      token: env[daemonEnv.sessionToken],
    },
    env,
  );
}

/** What the process runtime's warm pool hands a warm daemon over IPC when a session claims it. */
export interface SessionClaim {
  readonly controlPlaneUrl: string;
  readonly sessionId: string;
  readonly workspace: string;
  readonly token: string;
}

/** Validates a claim received over IPC (the same rules as the command line) together with the tuning variables of the environment. */
export function parseClaimedConfig(claim: Partial<Record<keyof SessionClaim, unknown>>, env: NodeJS.ProcessEnv): DaemonConfig {
  // The messages say which field is missing by its command-line name, as for a cold start.
  return validate({ controlPlaneUrl: claim.controlPlaneUrl, sessionId: claim.sessionId, workspace: claim.workspace, token: claim.token }, env);
}

function validate(session: Partial<Record<keyof SessionClaim, unknown>>, env: NodeJS.ProcessEnv): DaemonConfig {
  const parsed = schema.safeParse({
    ...session,
    logLevel: env[daemonEnv.logLevel] || undefined,
    signalGraceMs: env[daemonEnv.shutdownGraceMs] || undefined,
    traces: env[daemonEnv.traces] || undefined,
  });
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(`${first?.message ?? "invalid configuration"}\n${usage}`);
  }
  return { ...parsed.data, workspace: resolve(parsed.data.workspace), traces: parsed.data.traces === "attach" };
}
