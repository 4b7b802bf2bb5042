/**
 * `.raworc/conversation.jsonl`: the session's conversation, one JSON entry per line, appended
 * and fsync'd — the user message of each turn (recorded when its work item is applied, before
 * it is acknowledged), when the turn started, each tool call and its result (the call id is its
 * idempotency key), and how it ended with the assistant's reply. It
 * survives pause, resume and restarts, and is what a remix copies. A crash can tear only the
 * last line; opening the log cuts that torn tail off.
 */
import { readFile, stat, truncate } from "node:fs/promises";
import { StateError } from "../errors.js";
import { appendDurably, SerialQueue, writeFileAtomic } from "./durable-files.js";
import type { WriteGuard } from "./volume-reserve.js";

/** A user message, recorded when its work item was applied; its turn number is assigned then. */
export interface UserEntry {
  readonly kind: "user";
  readonly turn: number;
  readonly messageId: string;
  readonly text: string;
  readonly targetAgent: string;
  /** The work item's control seq (decimal), so the applied seq can be recovered from the log. */
  readonly controlSeq?: string;
  readonly at: string;
}

/** A turn began: written just before its TurnStarted event, which gets daemon seq `seq`. */
export interface StartedEntry {
  readonly kind: "started";
  readonly turn: number;
  readonly agent: string;
  readonly seq?: string;
  readonly at: string;
}

/** How a turn ended. */
export type TurnOutcome = "completed" | "failed" | "cancelled";

/** A turn ended: written just before its closing event (kept here in binary) gets daemon seq `seq`. */
export interface EndedEntry {
  readonly kind: "ended";
  readonly turn: number;
  readonly agent: string;
  readonly outcome: TurnOutcome;
  /** The assistant's reply text as streamed (partial for failed or cancelled turns). */
  readonly text: string;
  readonly reason?: string;
  readonly seq?: string;
  /** The closing SessionEvent, base64 protobuf binary, to write it again if a crash came first. */
  readonly event?: string;
  readonly at: string;
}

/** A tool call the model made: written just before its ToolCallStarted event gets daemon seq `seq`, before the tool runs. */
export interface ToolCallEntry {
  readonly kind: "tool_call";
  readonly turn: number;
  readonly agent: string;
  /** The model's call id: the call's idempotency key. */
  readonly callId: string;
  readonly name: string;
  readonly argumentsJson: string;
  readonly seq?: string;
  readonly at: string;
}

/** How a tool call ended, as recorded. */
export type ToolCallOutcome = "succeeded" | "failed" | "denied" | "timed_out" | "cancelled";

/** A tool call's result: written just before its ToolCallCompleted event (kept here in binary) gets daemon seq `seq`. */
export interface ToolResultEntry {
  readonly kind: "tool_result";
  readonly turn: number;
  readonly agent: string;
  readonly callId: string;
  readonly name: string;
  readonly outcome: ToolCallOutcome;
  /** What the model is given back (already capped). */
  readonly output: string;
  readonly truncated: boolean;
  readonly exitCode?: number;
  readonly durationMs: number;
  readonly seq?: string;
  /** The ToolCallCompleted SessionEvent, base64 protobuf binary, to write it again if a crash came first. */
  readonly event?: string;
  readonly at: string;
}

/**
 * The workspace at the end of a turn was recorded in the checkpoint store as manifest
 * `checkpointId`: written once the manifest is durable, just before its TurnCheckpoint message
 * gets daemon seq `seq`. This is how a checkpoint is found by turn.
 */
export interface CheckpointEntry {
  readonly kind: "checkpoint";
  readonly turn: number;
  readonly checkpointId: string;
  readonly fileCount: number;
  readonly totalBytes: number;
  readonly storedBytes: number;
  readonly seq?: string;
  readonly at: string;
}

/** One line of the conversation log. */
export type ConversationEntry = UserEntry | StartedEntry | EndedEntry | ToolCallEntry | ToolResultEntry | CheckpointEntry;

const entryKinds = new Set<unknown>(["user", "started", "ended", "tool_call", "tool_result", "checkpoint"]);

/** One turn as the log tells it. */
export interface TurnRecord {
  readonly turn: number;
  readonly user: UserEntry;
  /** The latest start of the turn, if any. */
  readonly started: StartedEntry | undefined;
  readonly ended: EndedEntry | undefined;
}

function parseEntry(line: string): ConversationEntry | undefined {
  try {
    const value = JSON.parse(line) as Partial<ConversationEntry> | null;
    if (value && typeof value.turn === "number" && entryKinds.has(value.kind)) {
      return value as ConversationEntry;
    }
  } catch {
    // A line that does not parse is reported by the caller.
  }
  return undefined;
}

/** The conversation log of one volume, loaded in memory and appended durably. */
export class ConversationLog {
  private readonly queue = new SerialQueue();

  private constructor(
    private readonly path: string,
    private list: ConversationEntry[],
    private readonly guard: WriteGuard,
  ) {}

  /** Loads the log (a missing file is an empty log), cutting off a torn last line; a bad line elsewhere is a StateError. */
  static async open(path: string, guard: WriteGuard = (write) => write()): Promise<ConversationLog> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new ConversationLog(path, [], guard);
      throw new StateError("cannot read the conversation log", path, { cause: error });
    }
    const entries: ConversationEntry[] = [];
    let offset = 0;
    while (offset < text.length) {
      const end = text.indexOf("\n", offset);
      const line = end === -1 ? text.slice(offset) : text.slice(offset, end);
      const entry = line.trim() === "" ? undefined : parseEntry(line);
      if (!entry && line.trim() !== "") {
        if (end === -1 || text.indexOf("\n", end + 1) === -1) {
          // The last line was torn by a crash mid-append: it was never acknowledged to anyone.
          await truncate(path, Buffer.byteLength(text.slice(0, offset)));
          break;
        }
        throw new StateError(`line ${entries.length + 1} of the conversation log is not a valid entry`, path);
      }
      if (entry) entries.push(entry);
      if (end === -1) {
        if (entry) await appendDurably(path, "\n");
        break;
      }
      offset = end + 1;
    }
    return new ConversationLog(path, entries, guard);
  }

  /** Every entry, oldest first. */
  get entries(): readonly ConversationEntry[] {
    return this.list;
  }

  /** Appends an entry and fsyncs it; appends run in call order. A failed append leaves the file as it was. */
  append(entry: ConversationEntry): Promise<void> {
    return this.queue.run(async () => {
      const line = `${JSON.stringify(entry)}\n`;
      await this.guard(async () => {
        const size = (await stat(this.path).catch(() => undefined))?.size ?? 0;
        try {
          await appendDurably(this.path, line);
        } catch (error) {
          // A short write (ENOSPC) would leave a torn line that the next append buries mid-file.
          await truncate(this.path, size).catch(() => undefined);
          throw error;
        }
      });
      this.list.push(entry);
    });
  }

  /** Replaces the whole log atomically (used when a remix adopts a copied volume). */
  replace(entries: readonly ConversationEntry[]): Promise<void> {
    return this.queue.run(async () => {
      await writeFileAtomic(this.path, entries.map((entry) => `${JSON.stringify(entry)}\n`).join(""));
      this.list = [...entries];
    });
  }

  /** The turns in order, each with its user message, latest start and end. */
  turns(): TurnRecord[] {
    const byTurn = new Map<number, { user?: UserEntry; started?: StartedEntry; ended?: EndedEntry }>();
    for (const entry of this.list) {
      const record = byTurn.get(entry.turn) ?? {};
      if (entry.kind === "user") record.user = entry;
      else if (entry.kind === "started") record.started = entry;
      else if (entry.kind === "ended") record.ended = entry;
      byTurn.set(entry.turn, record);
    }
    return [...byTurn.entries()]
      .filter((pair): pair is [number, { user: UserEntry; started?: StartedEntry; ended?: EndedEntry }] => pair[1].user !== undefined)
      .sort(([a], [b]) => a - b)
      .map(([turn, record]) => ({ turn, user: record.user, started: record.started, ended: record.ended }));
  }

  /** The highest turn number assigned to a user message; 0 when there is none. */
  lastAssignedTurn(): number {
    return this.list.reduce((max, entry) => (entry.kind === "user" && entry.turn > max ? entry.turn : max), 0);
  }

  /** The highest turn that has ended; 0 when none has. */
  lastEndedTurn(): number {
    return this.list.reduce((max, entry) => (entry.kind === "ended" && entry.turn > max ? entry.turn : max), 0);
  }

  /** The highest control seq recorded with a user message; 0n when none. */
  lastControlSeq(): bigint {
    return this.list.reduce((max, entry) => {
      const value = entry.kind === "user" && entry.controlSeq ? BigInt(entry.controlSeq) : 0n;
      return value > max ? value : max;
    }, 0n);
  }

  /** Whether a user message with this id is already recorded (work items are also deduplicated by message id). */
  hasMessage(messageId: string): boolean {
    return this.list.some((entry) => entry.kind === "user" && entry.messageId === messageId);
  }

  /** The agent that handled the latest started turn, for routing by continuation. */
  lastAgent(): string | undefined {
    for (let index = this.list.length - 1; index >= 0; index--) {
      const entry = this.list[index];
      if (entry && (entry.kind === "started" || entry.kind === "ended")) return entry.agent;
    }
    return undefined;
  }

  /** The log's path (`<workspace>/.raworc/conversation.jsonl`). */
  get file(): string {
    return this.path;
  }

  /** The checkpoint recorded for `turn` (the latest, should there be several), if any. */
  checkpoint(turn: number): CheckpointEntry | undefined {
    return this.list.findLast((entry): entry is CheckpointEntry => entry.kind === "checkpoint" && entry.turn === turn);
  }

  /** The latest checkpoint recorded, if any. */
  lastCheckpoint(): CheckpointEntry | undefined {
    return this.list.findLast((entry): entry is CheckpointEntry => entry.kind === "checkpoint");
  }

  /** The tool calls recorded for `turn`, in order. */
  toolCalls(turn: number): ToolCallEntry[] {
    return this.list.filter((entry): entry is ToolCallEntry => entry.kind === "tool_call" && entry.turn === turn);
  }

  /** The recorded result of tool call `callId` in `turn`, if any: such a call is never run again. */
  toolResult(turn: number, callId: string): ToolResultEntry | undefined {
    return this.list.find((entry): entry is ToolResultEntry => entry.kind === "tool_result" && entry.turn === turn && entry.callId === callId);
  }
}
