/**
 * The CLI's errors and the one place that turns any failure into a line on stderr and an exit
 * code: expected failures never show a stack trace.
 */
import { toJson } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { registry } from "@raworc/proto";
import { CommanderError } from "commander";

/** A failure the user can fix by changing what they typed or their config; never a bug. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  /** The process exit code to end with. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Ends the run with an exit code whose reason has already been printed (e.g. by the server). */
export class ExitCode extends Error {
  override readonly name = "ExitCode";
  /** The process exit code to end with. */
  readonly exitCode: number;

  constructor(exitCode: number) {
    super(`exit code ${exitCode}`);
    this.exitCode = exitCode;
  }
}

/** The snake_case name of a Connect code, as the wire and grpcurl show it (e.g. "invalid_argument"). */
export function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

/** What to print and which exit code to end with for a failure. */
export interface Failure {
  /** Lines for stderr, without the trailing newline. */
  readonly message: string;
  /** Non-zero exit code (0 only for commander's help and version output). */
  readonly exitCode: number;
}

/** Describes any thrown value as a Failure; only unexpected errors carry a stack, and only with RAWORC_DEBUG. */
export function describeFailure(error: unknown, env: NodeJS.ProcessEnv = process.env): Failure {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (through our outputError).
    return { message: "", exitCode: error.exitCode };
  }
  if (error instanceof ExitCode) return { message: "", exitCode: error.exitCode };
  if (error instanceof UsageError) return { message: `raworc: ${error.message}`, exitCode: error.exitCode };
  // Ctrl-C in the REPL aborts a prompt or a call in flight.
  if (error instanceof Error && error.name === "AbortError") return { message: "raworc: canceled", exitCode: 130 };
  if (error instanceof ConnectError) return { message: describeConnectError(error), exitCode: 1 };
  const detail = env.RAWORC_DEBUG && error instanceof Error ? (error.stack ?? error.message) : String(error instanceof Error ? error.message : error);
  return { message: `raworc: ${detail}`, exitCode: 1 };
}

function describeConnectError(error: ConnectError): string {
  const lines = [`raworc: ${codeName(error.code)}: ${error.rawMessage}`];
  const violations = fieldViolations(error);
  // The server's message already names the first violation; list them all only when there are more.
  if (violations.length > 1) lines.push(...violations.map((v) => `  ${v}`));
  if (error.code === Code.Unauthenticated) lines.push("  (log in with: raworc login)");
  if (error.code === Code.Unavailable) lines.push("  (is the server running? start one with: raworc start, or pick another with --server)");
  return lines.join("\n");
}

/** protovalidate field violations carried in the error's details, as "field: message" lines. */
function fieldViolations(error: ConnectError): string[] {
  const desc = registry.getMessage("buf.validate.Violations");
  if (!desc) return [];
  const out: string[] = [];
  for (const detail of error.findDetails(desc)) {
    const json = toJson(desc, detail, { registry }) as {
      violations?: { field?: { elements?: { fieldName?: string; index?: string; stringKey?: string }[] }; message?: string }[];
    };
    for (const v of json.violations ?? []) {
      // The subscript tells which item of a list (or map entry) is at fault: `routing_patterns[2]`.
      const field = (v.field?.elements ?? [])
        .filter((e) => e.fieldName)
        .map((e) => `${e.fieldName}${e.index !== undefined ? `[${e.index}]` : e.stringKey !== undefined ? `[${JSON.stringify(e.stringKey)}]` : ""}`)
        .join(".");
      out.push(field ? `${field}: ${v.message ?? ""}` : (v.message ?? ""));
    }
  }
  return out;
}
