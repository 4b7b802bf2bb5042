/** `raworc chat [session]`: an interactive chat in a session, streamed as it happens; scriptable through stdin. */
import type { Command } from "commander";
import { runChat, type ChatFlags } from "../chat/run-chat.js";
import { connect } from "../connection.js";
import { ExitCode } from "../errors.js";
import type { Io } from "../io.js";
import { collect } from "../objects/labels.js";
import type { GlobalOptions } from "../target.js";

/** The exit code of a chat in which a turn failed or was cancelled (or a message could not be sent). */
export const unsuccessfulTurnExitCode = 3;

const helpText = `
Without a session, creates one with the given --agent(s) and chats in it; the chat says how to come back.
Each line you type is sent as a message; the reply streams as it comes, with tool calls, guardrail
decisions, handoffs, usage and a footer per turn. Commands: /approve <id> [reason], /deny <id> [reason],
/cancel, /history, /help, /quit. When a tool call waits for approval, answer y or n (and a reason).
Ctrl-C during a turn cancels it; Ctrl-C at the prompt or Ctrl-D leaves (the session keeps running).
If the connection breaks, the chat reconnects and resumes where it was, without gap or repeat.

Without a terminal (piped stdin), each line is sent once the previous turn has ended (a line answering
an approval is read while the turn waits), and the chat ends after the last turn at the end of input.

Exit status: 0 when every turn completed; ${unsuccessfulTurnExitCode} when a turn failed or was cancelled, or a message
could not be sent; 1 for other errors (no such session, not logged in, server unreachable).

Examples:
  raworc chat --agent greeter
  raworc chat demo -n team-a
  printf 'Hello\\nWhat did you just do?\\n' | raworc chat demo`;

/** Adds `chat` to the program. */
export function configureChatCommand(program: Command, io: Io): void {
  program
    .command("chat")
    .description("chat with a session's agents in the terminal: replies stream as they come (creates a session when none is named)")
    .argument("[session]", "the session: NAME or NAMESPACE/NAME (default: create one)")
    .option("-n, --namespace <namespace>", "namespace (default: default)")
    .option("--agent <name>", "for a new session: an agent of the namespace (repeatable; the first is the default)", collect)
    .option("--name <name>", "for a new session: its name (default: generated)")
    .option("--label <key=value>", "for a new session: a label (repeatable)", collect)
    .option("--to <agent>", "address every message to this agent of the session (default: routing chooses)")
    .addHelpText("after", helpText)
    .action(async (session: string | undefined, flags: ChatFlags, cmd: Command) => {
      const conn = await connect(cmd.optsWithGlobals<GlobalOptions>(), io);
      const result = await runChat(conn, io, session, flags);
      if (result.unsuccessfulTurns.length > 0) throw new ExitCode(unsuccessfulTurnExitCode);
    });
}
