/**
 * The daemon's structured logs: JSON lines on stderr (stdout stays free), with anything that
 * could carry a secret or a message's contents redacted by path as a second line of defence;
 * call sites log ids, counts and lengths, never texts or the Welcome message.
 */
import { pino, type Logger } from "pino";

/** Paths whose values never reach a log line. */
const redactPaths = [
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "secrets",
  "*.secrets",
  "text",
  "*.text",
  "data",
  "*.data",
];

/** Log levels the daemon accepts. */
export const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of {@link logLevels}. */
export type LogLevel = (typeof logLevels)[number];

/** Creates the daemon's root logger; `destination` defaults to stderr, written synchronously so a crash loses no line. */
export function createLogger(level: LogLevel, base: Record<string, unknown>, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "raworc-agent", ...base },
      redact: { paths: redactPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
