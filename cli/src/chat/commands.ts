/** What a typed line means in the chat: a slash command, an answer to an approval prompt, or a message. */

/** A slash command with its arguments. */
export type SlashCommand =
  | { readonly name: "approve" | "deny"; readonly toolCallId: string; readonly reason: string }
  | { readonly name: "cancel" | "history" | "help" | "quit" }
  | { readonly name: "invalid"; readonly problem: string };

/** The help text of the slash commands. */
export const slashHelp = [
  "Type a message and press Enter to send it; the reply streams as it comes.",
  "  /approve <id> [reason]  approve a tool call waiting for approval",
  "  /deny <id> [reason]     deny it",
  "  /cancel                 cancel the running turn (or press Ctrl-C during a turn)",
  "  /history                list the session's turns",
  "  /help                   show this help",
  "  /quit                   leave the chat (or Ctrl-D, or Ctrl-C at an idle prompt); the session keeps running",
  "When a tool call waits for approval, answer y or n, optionally followed by a reason.",
].join("\n");

/** Parses a line starting with "/" (undefined for any other line); "//text" is the message "/text". */
export function parseSlashCommand(line: string): SlashCommand | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("/") || trimmed.startsWith("//")) return undefined;
  const [word = "", ...rest] = trimmed.slice(1).split(/\s+/);
  switch (word.toLowerCase()) {
    case "approve":
    case "deny": {
      const [toolCallId, ...reason] = rest;
      if (!toolCallId) return { name: "invalid", problem: `usage: /${word.toLowerCase()} <tool call id> [reason]` };
      return { name: word.toLowerCase() as "approve" | "deny", toolCallId, reason: reason.join(" ") };
    }
    case "cancel":
    case "history":
    case "help":
    case "quit":
      return { name: word.toLowerCase() as "cancel" | "history" | "help" | "quit" };
    case "exit":
      return { name: "quit" };
    default:
      return { name: "invalid", problem: `unknown command /${word} (see /help)` };
  }
}

/** The text to send for a message line: a leading "//" escapes a message that starts with "/". */
export function messageText(line: string): string {
  const trimmed = line.trim();
  return trimmed.startsWith("//") ? trimmed.slice(1) : trimmed;
}

/** An answer to the approval prompt: y/yes/approve or n/no/deny, then an optional reason; undefined for anything else. */
export function parseApprovalAnswer(line: string): { approve: boolean; reason: string } | undefined {
  const match = /^\s*(y|yes|approve|n|no|deny)\b\s*(.*)$/i.exec(line);
  if (!match) return undefined;
  const word = (match[1] ?? "").toLowerCase();
  return { approve: word.startsWith("y") || word === "approve", reason: (match[2] ?? "").trim() };
}
