/** The chat's input: lines from a terminal (with a prompt and Ctrl-C) or from piped stdin. */
import { createInterface } from "node:readline";
import type { Io } from "../io.js";

/** Where the input goes. */
export interface InputHandlers {
  /** A line was entered. */
  line(text: string): void;
  /** The input ended: Ctrl-D on a terminal, or the end of piped stdin. */
  end(): void;
  /** Ctrl-C on a terminal. */
  interrupt(): void;
}

/** An open input. */
export interface ChatInput {
  /** Shows a prompt on a terminal ("" shows none); does nothing for piped input. */
  prompt(text: string): void;
  /** Stops reading. */
  close(): void;
}

/** Starts reading lines from `io.stdin`; a terminal gets a line editor on stdout, piped input is read as it is. */
export function readChatInput(io: Io, interactive: boolean, handlers: InputHandlers): ChatInput {
  const rl = createInterface({ input: io.stdin, ...(interactive ? { output: io.stdout, terminal: true } : { terminal: false }) });
  let closing = false;
  rl.on("line", (line) => handlers.line(line));
  rl.on("close", () => {
    if (!closing) handlers.end();
  });
  // Only a terminal line editor sees Ctrl-C as a key; piped input leaves SIGINT to the process.
  if (interactive) rl.on("SIGINT", () => handlers.interrupt());
  return {
    prompt(text) {
      if (!interactive) return;
      rl.setPrompt(text);
      if (text) rl.prompt();
    },
    close() {
      closing = true;
      rl.close();
    },
  };
}
