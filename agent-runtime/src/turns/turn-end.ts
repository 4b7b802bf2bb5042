/**
 * How a turn ends, and the one closing event each ending becomes: TurnCompleted, TurnFailed or
 * TurnCancelled, with the turn's usage. Also the size rule for TextDelta events.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import { TurnCancelledSchema, TurnCompletedSchema, TurnFailedSchema, type Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { DaemonEventPayload } from "../channel/event-sink.js";

/** How a turn ended. */
export type TurnEnd =
  | { readonly outcome: "completed"; readonly stopReason: string }
  | { readonly outcome: "failed"; readonly reason: string; readonly message: string }
  | { readonly outcome: "cancelled"; readonly reason: string; readonly cancelledBy: Principal | undefined };

/** What the turn did, for the closing event. */
export interface TurnTotals {
  readonly usage: Usage;
  readonly modelCalls: number;
  readonly toolCalls: number;
  readonly durationMs: number;
}

/** The closing event's payload for an ending. */
export function closingEvent(end: TurnEnd, totals: TurnTotals): DaemonEventPayload {
  switch (end.outcome) {
    case "completed":
      return {
        case: "turnCompleted",
        value: create(TurnCompletedSchema, {
          usage: totals.usage,
          modelCalls: totals.modelCalls,
          toolCalls: totals.toolCalls,
          stopReason: end.stopReason.slice(0, 64),
          duration: durationFromMs(totals.durationMs),
        }),
      };
    case "failed":
      return { case: "turnFailed", value: create(TurnFailedSchema, { reason: end.reason, message: end.message.slice(0, 4096), usage: totals.usage }) };
    case "cancelled":
      return { case: "turnCancelled", value: create(TurnCancelledSchema, { reason: end.reason, cancelledBy: end.cancelledBy, usage: totals.usage }) };
  }
}

/** Most UTF-16 code units per TextDelta: 16 384 units are at most 49 152 UTF-8 bytes, under the 64 KiB limit. */
const maxDeltaUnits = 16_384;

/** Splits reply text into TextDelta-sized pieces without splitting a surrogate pair; "" yields nothing. */
export function splitText(text: string): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + maxDeltaUnits);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}
