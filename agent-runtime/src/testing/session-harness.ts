/**
 * A daemon's session machinery without the network, for turn tests: a temporary volume with
 * its conversation log and outbox, the turn loop on the scripted model, and helpers to record
 * user messages (as applying a work item does) and read back the events written.
 */
import type { Agent } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import type { SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { outboxEventSink, type EventSink } from "../channel/event-sink.js";
import { Outbox } from "../channel/outbox.js";
import { TurnCancelledError } from "../errors.js";
import { createModelFactory } from "../models/create-model.js";
import { ConversationLog } from "../state/conversation-log.js";
import { SessionTools } from "../tools/session-tools.js";
import { TurnLoop, type TurnLoopOptions } from "../turns/turn-loop.js";
import { silentLogger, tempVolume, type TempVolume } from "./fixtures.js";

/** One open session volume with its turn loop. */
export interface SessionHarness {
  readonly volume: TempVolume;
  readonly conversation: ConversationLog;
  readonly outbox: Outbox;
  readonly sink: EventSink;
  readonly loop: TurnLoop;
  /** Errors the loop reported as fatal. */
  readonly fatal: unknown[];
  /** Records a user message as the next turn and nudges the loop; returns the turn number. */
  say(text: string, targetAgent?: string): Promise<number>;
  /** The events written so far, in seq order. */
  events(): SessionEvent[];
  /** Resolves once an event matching `predicate` has been written. */
  waitFor(predicate: (event: SessionEvent) => boolean, timeoutMs?: number): Promise<SessionEvent>;
  close(): Promise<void>;
}

/** Opens a harness on `existing` (a new temporary volume by default) running `agents`, with the session's secrets and approvals when given. */
export async function openSession(agents: readonly Agent[], existing?: TempVolume, extra: Pick<TurnLoopOptions, "secrets" | "approvals"> = {}): Promise<SessionHarness> {
  const volume = existing ?? (await tempVolume());
  const log = silentLogger();
  const conversation = await ConversationLog.open(volume.conversationFile);
  const outbox = await Outbox.open(volume.outbox, { floor: 0n, log });
  const sink = outboxEventSink(outbox);
  const fatal: unknown[] = [];
  const sessionTools = new SessionTools({ workspace: volume.workspace, secret: () => undefined });
  const loop = new TurnLoop({
    conversation,
    sink,
    models: createModelFactory({ log, secret: () => undefined }),
    agents: () => agents,
    log,
    sessionTools,
    onFatal: (error) => fatal.push(error),
    ...extra,
  });
  let messages = 0;
  const events = (): SessionEvent[] => {
    const list: SessionEvent[] = [];
    for (let seq = 1n; seq <= outbox.lastSeq; seq++) {
      const payload = outbox.get(seq)?.payload;
      if (payload?.case === "event") list.push(payload.value);
    }
    return list;
  };
  const harness: SessionHarness = {
    volume,
    conversation,
    outbox,
    sink,
    loop,
    fatal,
    async say(text, targetAgent = "") {
      const turn = conversation.lastAssignedTurn() + 1;
      messages++;
      await conversation.append({ kind: "user", turn, messageId: `message-${turn}-${messages}`, text, targetAgent, at: new Date().toISOString() });
      loop.notify();
      return turn;
    },
    events,
    async waitFor(predicate, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events().find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms; saw ${events().map((e) => e.payload.case).join(", ")}`);
        await outbox.changed(AbortSignal.timeout(50));
      }
    },
    async close() {
      await loop.stop(new TurnCancelledError("Paused"));
      await sessionTools.close();
      await volume.remove();
    },
  };
  return harness;
}
