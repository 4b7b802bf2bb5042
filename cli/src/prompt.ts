/** Reading from the user: whole stdin, a line, or a secret typed without echo on a terminal. */
import { createInterface } from "node:readline";
import { UsageError } from "./errors.js";
import type { Io, Prompter } from "./io.js";

/** Reads stdin to its end as UTF-8. */
export async function readAll(stdin: Io["stdin"]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Asks one question on stderr and reads the answer line from stdin. */
export function promptLine(io: Io, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: Boolean(io.stdin.isTTY) });
  return new Promise((resolve, reject) => {
    let answered = false;
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer.trim());
    });
    rl.once("close", () => {
      if (!answered) reject(new UsageError("aborted", 130));
    });
  });
}

/** Reads a secret from the terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D aborts. */
export function promptSecret(io: Io, question: string): Promise<string> {
  const { stdin, stderr } = io;
  if (!stdin.isTTY || !stdin.setRawMode) {
    return Promise.reject(new UsageError("no terminal to read the password from; use --password-stdin"));
  }
  const setRawMode = stdin.setRawMode.bind(stdin);
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let secret = "";
    const finish = (error?: UsageError) => {
      stdin.removeListener("data", onData);
      setRawMode(false);
      stdin.pause();
      stderr.write("\n");
      if (error) reject(error);
      else resolve(secret);
    };
    const onData = (data: Buffer | string) => {
      for (const ch of data.toString("utf8")) {
        // Arrow and function keys arrive as escape sequences, which are no part of a password.
        if (ch === "\u001b") break;
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003" || ch === "\u0004") return finish(new UsageError("aborted", 130));
        if (ch === "\u007f" || ch === "\b") secret = [...secret].slice(0, -1).join("");
        else if (ch >= " ") secret += ch;
      }
    };
    setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  });
}

/** The prompter a run uses: the REPL's when there is one, else one on the process's terminal. */
export function prompterOf(io: Io): Prompter {
  return io.prompter ?? { line: (question) => promptLine(io, question), secret: (question) => promptSecret(io, question) };
}
