/** The one wrapper every run goes through: parse, execute, and turn any failure into stderr and an exit code. */
import { describeFailure } from "./errors.js";
import type { Io } from "./io.js";
import { createProgram } from "./program.js";

/** Runs one command line (without the program name) and resolves to its exit code; never throws. */
export async function runCli(args: readonly string[], io: Io): Promise<number> {
  try {
    await createProgram(io).parseAsync([...args], { from: "user" });
    return 0;
  } catch (error) {
    const failure = describeFailure(error, io.env);
    if (failure.message) io.stderr.write(`${failure.message}\n`);
    return failure.exitCode;
  }
}
