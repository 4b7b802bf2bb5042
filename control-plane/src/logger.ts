/** Structured JSON logging (pino) with secrets redacted wherever they could appear. */
import { pino, type Logger } from "pino";

/** Paths whose values never reach a log line. */
const redactPaths = [
  "password",
  "*.password",
  "*.currentPassword",
  "*.newPassword",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "secret",
  "*.secret",
  "data",
  "*.data",
  "*.*.data",
  "databaseUrl",
  "adminPassword",
  "secretsKey",
  "*.secretsKey",
];

/** Creates the server's root logger; `destination` defaults to stdout. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "raworc-control-plane" },
      redact: { paths: redactPaths, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

export type { Logger };
