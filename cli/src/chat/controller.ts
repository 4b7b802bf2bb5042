/**
 * The chat's logic between the lines the user types and the session's events: sends one
 * message at a time and waits for its turn to end, runs slash commands, answers approval
 * prompts, and decides when the chat is over.
 */
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { listTurns } from "../commands/session-actions.js";
import { describeFailure } from "../errors.js";
import type { Connection } from "../objects/kind.js";
import { turnsTable } from "../objects/session-events.js";
import { formatTable } from "../output.js";
import { messageText, parseApprovalAnswer, parseSlashCommand, slashHelp, type SlashCommand } from "./commands.js";
import type { ChatRenderer } from "./renderer.js";
import type { ChatCalls } from "./sender.js";

/** How a turn this chat waited for ended. */
export type TurnOutcome = "completed" | "failed" | "cancelled";

/** How the chat ended. */
export interface ChatResult {
  /** Turns of this chat's messages that failed or were cancelled (0 for a message that could not be sent). */
  readonly unsuccessfulTurns: readonly number[];
}

/** What the controller works with. */
export interface ChatControllerOptions {
  readonly conn: Connection;
  readonly calls: ChatCalls;
  readonly renderer: ChatRenderer;
  /** A person at a terminal: lines typed during a turn are read at once (slash commands run, messages wait). */
  readonly interactive: boolean;
  /** The agent messages are addressed to ("" lets routing choose). */
  readonly agent: string;
  /** Shows the input prompt ("" hides it); only on a terminal. */
  readonly prompt?: (text: string) => void;
  /** Writes the chat's own output: help, history tables. */
  readonly write: (text: string) => void;
}

interface Waiting {
  readonly text: string;
  messageId?: string;
  turn?: number;
}

/** Drives one chat; feed it lines and events, and await {@link ChatController.done}. */
export class ChatController {
  /** Resolves when the chat is over: input ended and the last turn ended, or /quit. */
  readonly done: Promise<ChatResult>;
  private readonly inbox: string[] = [];
  private eof = false;
  private over = false;
  private working = false;
  private waiting: Waiting | undefined;
  private readonly inFlightTexts: string[] = [];
  private readonly ownMessageIds = new Set<string>();
  private readonly turnByMessage = new Map<string, number>();
  private readonly endedTurns = new Map<number, TurnOutcome>();
  /** Tool calls waiting for approval, oldest first, with their turns. */
  private readonly approvals = new Map<string, number>();
  private readonly unsuccessful: number[] = [];
  private shownPrompt: string | undefined;
  private resolveDone!: (result: ChatResult) => void;
  private rejectDone!: (error: unknown) => void;

  constructor(private readonly options: ChatControllerOptions) {
    this.done = new Promise<ChatResult>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  /** Whether a user message event is one this chat sent. */
  readonly isOwnMessage = (event: SessionEvent): boolean =>
    event.payload.case === "userMessage" && (this.ownMessageIds.has(event.payload.value.messageId) || this.inFlightTexts.includes(event.payload.value.text));

  /** Remembers a tool call that was already waiting for approval when the chat attached. */
  approvalPending(toolCallId: string, turn: number): void {
    this.approvals.set(toolCallId, turn);
  }

  /** A line the user typed. */
  line(text: string): void {
    this.inbox.push(text);
    this.pump();
  }

  /** The input ended (Ctrl-D, or the end of piped stdin): finish once the last turn has ended. */
  end(): void {
    this.eof = true;
    this.pump();
  }

  /** Ctrl-C: cancels the running turn of this chat, or leaves the chat when none runs. */
  interrupt(): void {
    if (!this.waiting) return this.finish();
    this.options.renderer.notice("cancelling the turn… (Ctrl-C again at the prompt leaves)");
    this.options.calls.cancel().catch((error: unknown) => this.problem(error));
  }

  /** The session's watch ended because the session was deleted. */
  sessionGone(): void {
    this.options.renderer.notice("the session was deleted; the chat ends");
    if (this.waiting) this.unsuccessful.push(this.waiting.turn ?? 0);
    this.finish();
  }

  /** The session's watch failed for good. */
  fail(error: unknown): void {
    if (this.over) return;
    this.over = true;
    this.options.prompt?.("");
    this.rejectDone(error);
  }

  /** An event of the session, in seq order. */
  event(event: SessionEvent): void {
    this.options.renderer.render(event);
    const p = event.payload;
    switch (p.case) {
      case "turnStarted":
        this.turnByMessage.set(p.value.messageId, event.turn);
        if (this.waiting && this.waiting.messageId === p.value.messageId) this.waiting.turn = event.turn;
        break;
      case "approvalRequested":
        this.approvals.set(p.value.toolCallId, event.turn);
        break;
      case "approvalResolved":
        this.approvals.delete(p.value.toolCallId);
        break;
      case "turnCompleted":
      case "turnFailed":
      case "turnCancelled":
        this.turnEnded(event.turn, p.case === "turnCompleted" ? "completed" : p.case === "turnFailed" ? "failed" : "cancelled");
        break;
      default:
        break;
    }
    this.pump();
  }

  private turnEnded(turn: number, outcome: TurnOutcome): void {
    this.endedTurns.set(turn, outcome);
    for (const [id, t] of this.approvals) if (t === turn) this.approvals.delete(id);
    if (this.waiting?.turn === turn) this.settle(turn, outcome);
  }

  private settle(turn: number, outcome: TurnOutcome): void {
    if (outcome !== "completed") this.unsuccessful.push(turn);
    this.waiting = undefined;
  }

  /** Starts the next thing to do, unless something is under way; called whenever anything changes. */
  private pump(): void {
    if (this.over || this.working) return;
    const action = this.nextAction();
    if (!action) {
      if (!this.waiting && this.inbox.length === 0 && this.eof) return this.finish();
      return this.showPrompt();
    }
    this.working = true;
    this.showPrompt("");
    action()
      .catch((error: unknown) => this.problem(error))
      .finally(() => {
        this.working = false;
        this.pump();
      });
  }

  private nextAction(): (() => Promise<void>) | undefined {
    if (this.waiting) {
      // Piped input is read strictly in order: only an approval answer may come before the turn ends.
      const candidates = this.options.interactive ? this.inbox : this.approvals.size > 0 ? this.inbox.slice(0, 1) : [];
      const at = candidates.findIndex((l) => parseSlashCommand(l) !== undefined || (this.approvals.size > 0 && parseApprovalAnswer(l) !== undefined));
      if (at < 0) return undefined;
      const [line = ""] = this.inbox.splice(at, 1);
      return () => this.runLine(line);
    }
    for (;;) {
      const line = this.inbox.shift();
      if (line === undefined) return undefined;
      if (line.trim() !== "") return () => this.runLine(line);
    }
  }

  private async runLine(line: string): Promise<void> {
    const command = parseSlashCommand(line);
    if (command) return this.runCommand(command);
    const answer = this.approvals.size > 0 ? parseApprovalAnswer(line) : undefined;
    const oldest = this.approvals.keys().next().value;
    if (answer && oldest !== undefined) return this.decide(oldest, answer.approve, answer.reason);
    return this.send(messageText(line));
  }

  private async runCommand(command: SlashCommand): Promise<void> {
    const { renderer, calls } = this.options;
    switch (command.name) {
      case "approve":
      case "deny":
        return this.decide(command.toolCallId, command.name === "approve", command.reason);
      case "cancel": {
        const turn = await calls.cancel();
        renderer.notice(turn === 0 ? "no turn is running" : `asked turn ${turn} to stop`);
        return;
      }
      case "history": {
        const turns = await listTurns(this.options.conn, calls.ref);
        renderer.endLine();
        if (turns.length === 0) renderer.notice("no turns yet");
        else this.options.write(formatTable(turnsTable(turns)));
        return;
      }
      case "help":
        renderer.endLine();
        this.options.write(`${slashHelp}\n`);
        return;
      case "quit":
        return this.finish();
      case "invalid":
        renderer.notice(command.problem);
        return;
    }
  }

  private async decide(toolCallId: string, approve: boolean, reason: string): Promise<void> {
    await this.options.calls.decide(toolCallId, approve, reason);
    this.options.renderer.notice(`${approve ? "approved" : "denied"} ${toolCallId}${reason ? `: ${reason}` : ""}`);
  }

  private async send(text: string): Promise<void> {
    const waiting: Waiting = { text };
    this.waiting = waiting;
    this.inFlightTexts.push(text);
    try {
      const sent = await this.options.calls.send(text, this.options.agent, () => this.options.renderer.notice("the server is unavailable; retrying the send…"));
      this.ownMessageIds.add(sent.messageId);
      waiting.messageId = sent.messageId;
      // The turn may have started, or even ended, before the send's response arrived.
      const turn = this.turnByMessage.get(sent.messageId);
      if (turn !== undefined) {
        waiting.turn = turn;
        const outcome = this.endedTurns.get(turn);
        if (outcome) this.settle(turn, outcome);
      }
    } catch (error) {
      this.waiting = undefined;
      this.unsuccessful.push(0);
      throw error;
    } finally {
      this.inFlightTexts.splice(this.inFlightTexts.indexOf(text), 1);
    }
  }

  private problem(error: unknown): void {
    this.options.renderer.notice(describeFailure(error).message);
  }

  private showPrompt(text = this.approvals.size > 0 ? "approve? [y/n] " : this.waiting ? "" : "> "): void {
    if (!this.options.prompt || this.over || text === this.shownPrompt) return;
    this.shownPrompt = text;
    this.options.prompt(text);
  }

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.options.prompt?.("");
    this.resolveDone({ unsuccessfulTurns: [...this.unsuccessful] });
  }
}
