/**
 * The turn loop: runs the turns recorded in the conversation log one at a time, in turn order.
 * A user message applied from a work item is already in the log, so the loop only needs a nudge;
 * queued messages wait for the running turn. Cancelling aborts the running turn's signal;
 * stopping (pause, delete) cancels it and takes no further turn.
 */
import type { Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { EventSink } from "../channel/event-sink.js";
import { describeError, type TurnCancelledError, type VolumeFullError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { ModelFactory } from "../models/create-model.js";
import type { ConversationLog } from "../state/conversation-log.js";
import type { SessionTools } from "../tools/session-tools.js";
import type { ApprovalBroker } from "./approvals.js";
import { conversationHistory } from "./conversation-history.js";
import { inTurnSpan } from "../telemetry/spans.js";
import { runTurn, volumeFullReason, type SessionSecrets } from "./turn-runner.js";

/** What the turn loop needs. */
export interface TurnLoopOptions {
  readonly conversation: ConversationLog;
  readonly sink: EventSink;
  readonly models: ModelFactory;
  /** The session's agents as of the latest Welcome. */
  readonly agents: () => readonly Agent[];
  readonly log: Logger;
  /** The session's knowledge indexes and MCP servers, kept across turns. */
  readonly sessionTools: SessionTools;
  /** Called when a turn could not record its events (the volume failed): the daemon cannot go on. */
  readonly onFatal: (error: unknown) => void;
  /**
   * Runs at each turn boundary, after the turn's end is recorded and before the next turn starts
   * (the turn checkpoint); not after a turn failed for a full volume, whose capture could only fail.
   */
  readonly onTurnEnded?: (turn: number) => Promise<unknown>;
  /** Runs before each turn starts (re-creating the volume's space reserve). */
  readonly beforeTurn?: () => Promise<unknown>;
  /** The secrets of the latest Welcome, for tools and redaction. */
  readonly secrets?: SessionSecrets;
  /** Where tool calls wait for approval. */
  readonly approvals?: ApprovalBroker;
}

/** Runs turns one at a time. */
export class TurnLoop {
  private running: { turn: number; controller: AbortController } | undefined;
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: TurnLoopOptions) {}

  /** The turn running now; 0 when none (a turn whose end is recorded no longer counts, even while it winds down). */
  get activeTurn(): number {
    const running = this.running;
    if (!running || this.options.conversation.lastEndedTurn() >= running.turn) return 0;
    return running.turn;
  }

  /** Starts taking turns (once the first Welcome brought the agents); later calls do nothing. */
  start(): void {
    this.loop ??= this.run().catch((error: unknown) => this.options.onFatal(error));
  }

  /** Nudges the loop: a user message was recorded. */
  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Cancels turn `turn` (0: whichever runs) if it is running, or fails it for a full volume; a turn not running is left alone. */
  cancel(turn: number, reason: TurnCancelledError | VolumeFullError): boolean {
    const running = this.running;
    if (!running || (turn !== 0 && turn !== running.turn)) return false;
    running.controller.abort(reason);
    return true;
  }

  /** Cancels the running turn with `reason`, takes no new turn, and resolves once the loop has stopped. */
  async stop(reason: TurnCancelledError): Promise<void> {
    this.stopped = true;
    this.running?.controller.abort(reason);
    this.notify();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const records = this.options.conversation.turns();
      const next = records.find((record) => !record.ended);
      if (!next) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const controller = new AbortController();
      this.running = { turn: next.turn, controller };
      try {
        await this.options.beforeTurn?.();
        const end = await inTurnSpan(next.turn, next.user.messageId, () =>
          runTurn(
            {
              user: next.user,
              agents: this.options.agents(),
              history: conversationHistory(this.options.conversation.entries, next.turn),
              previousAgent: this.options.conversation.lastAgent(),
              signal: controller.signal,
            },
            this.options,
          ),
        );
        if (end.outcome !== "failed" || end.reason !== volumeFullReason) await this.options.onTurnEnded?.(next.turn);
      } catch (error) {
        this.options.log.fatal({ turn: next.turn, err: describeError(error) }, "cannot record the turn's events");
        throw error;
      } finally {
        this.running = undefined;
      }
    }
  }
}
