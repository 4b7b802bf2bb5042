/** The interactive prompt of plain `raworc`: each line runs through the same commands as the command line. */
import { createInterface } from "node:readline/promises";
import { Readable, Writable } from "node:stream";
import { completeLine, specFromProgram, type CompletionSpec } from "./completion.js";
import type { Io, Prompter } from "./io.js";
import { fullMethodName, listMethods, shortMethodName } from "./methods.js";
import { createProgram } from "./program.js";
import { runCli } from "./run.js";

const replWords = ["help", "exit", "quit"];

/** The completion spec of the REPL: every command, `help`/`exit`, and every RPC name. */
export function replCompletionSpec(io: Io): CompletionSpec {
  const methods = listMethods().flatMap((m) => [fullMethodName(m), shortMethodName(m)]);
  return specFromProgram(createProgram(io), methods, replWords);
}

/**
 * Splits a line into arguments like a shell does with quotes and backslashes, except that a word
 * starting with `{` or `[` takes the rest of the line verbatim, so JSON needs no quoting.
 */
export function splitLine(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] ?? "")) i++;
    if (i >= line.length) break;
    if (line[i] === "{" || line[i] === "[") {
      args.push(line.slice(i).trim());
      break;
    }
    let word = "";
    let quote: string | undefined;
    for (; i < line.length; i++) {
      const ch = line[i] ?? "";
      if (quote) {
        if (ch === quote) quote = undefined;
        else if (ch === "\\" && quote === '"' && i + 1 < line.length) word += line[++i];
        else word += ch;
      } else if (ch === "'" || ch === '"') quote = ch;
      else if (ch === "\\" && i + 1 < line.length) word += line[++i];
      else if (/\s/.test(ch)) break;
      else word += ch;
    }
    args.push(word);
  }
  return args;
}

/** Runs one typed line with the REPL's io; resolves to false when the user asked to leave. */
export async function runReplLine(line: string, io: Io): Promise<boolean> {
  const args = splitLine(line);
  const first = (args[0] ?? "").replace(/^\//, "");
  if (!first) return true;
  if (first === "exit" || first === "quit") return false;
  if (first === "start") {
    io.stderr.write("raworc: start runs the server in the foreground; run `raworc start` in its own terminal\n");
    return true;
  }
  await runCli(first === "help" ? ["--help", ...args.slice(1)] : [first, ...args.slice(1)], io);
  return true;
}

/**
 * Reads lines until `exit` or end of input and runs each as a command. One line editor serves
 * the whole session, prompts included, so pasted lines queue up instead of being lost; commands
 * get an empty stdin because the terminal's input belongs to the prompt.
 */
export async function runRepl(io: Io): Promise<number> {
  const terminal = Boolean(io.stdin.isTTY);
  const output = new MutableWritable(io.stderr);
  const spec = replCompletionSpec(io);
  const rl = createInterface({ input: io.stdin, output, terminal, historySize: 1000, completer: (line: string) => completeLine(line, spec) });
  let running: AbortController | undefined;
  rl.on("SIGINT", () => {
    // Ctrl-C cancels the running call, or drops the line being typed, as in a shell.
    if (running) running.abort();
    else {
      rl.write(null, { ctrl: true, name: "u" });
      io.stderr.write("^C\n");
      rl.prompt();
    }
  });
  const ask = (question: string) => rl.question(question, running ? { signal: running.signal } : {});
  const prompter: Prompter = {
    line: async (question) => (await ask(question)).trim(),
    secret: async (question) => {
      io.stderr.write(question);
      output.muted = true;
      try {
        const answer = await ask("");
        // Answers land in the history like any line; a password must not be one arrow key away.
        const history = (rl as unknown as { history?: string[] }).history;
        if (history?.[0] === answer) history.shift();
        return answer;
      } finally {
        output.muted = false;
        io.stderr.write("\n");
      }
    },
  };
  if (terminal) io.stderr.write("raworc interactive prompt: a command (whoami, /api AuthService/WhoAmI {}), help, or exit; Tab completes.\n");
  rl.setPrompt("raworc> ");
  rl.prompt();
  for await (const line of rl) {
    running = new AbortController();
    const lineIo: Io = { ...io, stdin: Readable.from([]), prompter, signal: running.signal };
    const more = await runReplLine(line, lineIo).finally(() => (running = undefined));
    if (!more) break;
    rl.prompt();
  }
  rl.close();
  return 0;
}

/** A writable that forwards to another unless muted, so typed secrets are not echoed. */
class MutableWritable extends Writable {
  /** While true, writes are dropped. */
  muted = false;

  constructor(private readonly target: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (!this.muted) this.target.write(chunk);
    callback();
  }
}
