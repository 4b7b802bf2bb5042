/** The `raworc` process: a command line runs once; no arguments on a terminal opens the interactive prompt. */
import { exitQuietlyOnBrokenPipe } from "./broken-pipe.js";
import { processIo } from "./io.js";
import { runRepl } from "./repl.js";
import { runCli } from "./run.js";

exitQuietlyOnBrokenPipe([process.stdout, process.stderr]);
const io = processIo();
const args = process.argv.slice(2);
const code = args.length === 0 && process.stdin.isTTY && process.stdout.isTTY ? await runRepl(io) : await runCli(args, io);
// Exiting explicitly keeps idle sockets or a stopped server's leftovers from holding the process open;
// stdout is drained first so no output to a pipe is cut short.
await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
process.exit(code);
