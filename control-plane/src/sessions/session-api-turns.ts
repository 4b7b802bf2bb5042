/**
 * A session's turn history, derived from its event log: each turn's span of events, the
 * TurnStarted that opened it, the event that ended it, and the user message it answered.
 * Nothing is stored twice, so the history can never disagree with the log.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { TurnOutcome, TurnSchema, type Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../store/page-token.js";
import { checkpointIds } from "./session-checkpoints.js";

const boundaryKinds = ["turnStarted", "turnCompleted", "turnFailed", "turnCancelled"];

/** The first line of a message, at most 200 characters. */
export function summaryOf(text: string): string {
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  return [...line].slice(0, 200).join("");
}

function afterTurn(pageToken: string): number {
  const key = decodePageToken(pageToken, 1);
  if (!key) return 0;
  const n = Number(key[0]);
  if (!Number.isSafeInteger(n) || n < 0) throw new ConnectError("invalid page_token", Code.InvalidArgument);
  return n;
}

function usageOf(end: SessionEvent | undefined): Turn["usage"] {
  const p = end?.payload;
  switch (p?.case) {
    case "turnCompleted":
    case "turnFailed":
    case "turnCancelled":
      return p.value.usage;
    default:
      return undefined;
  }
}

function outcomeOf(end: SessionEvent | undefined): TurnOutcome {
  switch (end?.payload.case) {
    case "turnCompleted":
      return TurnOutcome.COMPLETED;
    case "turnFailed":
      return TurnOutcome.FAILED;
    case "turnCancelled":
      return TurnOutcome.CANCELLED;
    default:
      return TurnOutcome.RUNNING;
  }
}

async function userMessages(em: EntityManager, sessionId: string, ids: ReadonlySet<string>, beforeSeq: bigint): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.size === 0) return out;
  const rows = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and kind = 'userMessage' and seq < ? order by seq desc`,
    [sessionId, beforeSeq.toString()],
  );
  for (const { payload } of rows) {
    const event = fromBinary(SessionEventSchema, payload);
    if (event.payload.case === "userMessage" && ids.has(event.payload.value.messageId)) out.set(event.payload.value.messageId, event.payload.value.text);
    if (out.size === ids.size) break;
  }
  return out;
}

/** One page of a session's turns, by number; the page token is the last turn number returned. */
export async function listTurns(em: EntityManager, sessionId: string, pageSize: number, pageToken: string): Promise<{ turns: Turn[]; nextPageToken: string }> {
  const size = effectivePageSize(pageSize);
  const spans = await em.execute<{ turn: number; first_seq: string; last_seq: string }[]>(
    `select turn, min(seq) as first_seq, max(seq) as last_seq from session_events
      where session_id = ? and turn > ? group by turn order by turn limit ?`,
    [sessionId, afterTurn(pageToken), size + 1],
  );
  const page = spans.slice(0, size);
  if (page.length === 0) return { turns: [], nextPageToken: "" };
  const bounds = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and turn between ? and ? and kind in (${boundaryKinds.map(() => "?").join(", ")}) order by seq`,
    [sessionId, page[0]!.turn, page.at(-1)!.turn, ...boundaryKinds],
  );
  const started = new Map<number, SessionEvent>();
  const ended = new Map<number, SessionEvent>();
  for (const { payload } of bounds) {
    const event = fromBinary(SessionEventSchema, payload);
    if (event.payload.case === "turnStarted") started.set(event.turn, event);
    else ended.set(event.turn, event);
  }
  const messageIds = new Set([...started.values()].map((e) => (e.payload.case === "turnStarted" ? e.payload.value.messageId : "")).filter(Boolean));
  const texts = await userMessages(em, sessionId, messageIds, BigInt(page.at(-1)!.last_seq));
  const checkpoints = await checkpointIds(em, sessionId, page[0]!.turn, page.at(-1)!.turn);
  const turns = page.map((span) => {
    const start = started.get(span.turn);
    const end = ended.get(span.turn);
    const messageId = start?.payload.case === "turnStarted" ? start.payload.value.messageId : "";
    return create(TurnSchema, {
      number: span.turn,
      agent: start?.agent ?? "",
      messageId,
      summary: summaryOf(texts.get(messageId) ?? ""),
      startedAt: start?.time,
      endedAt: end?.time,
      outcome: outcomeOf(end),
      usage: usageOf(end),
      // Only an ended turn has one; a turn ended before checkpoints were kept has none.
      checkpointId: end ? (checkpoints.get(span.turn) ?? "") : "",
      firstSeq: BigInt(span.first_seq),
      lastSeq: BigInt(span.last_seq),
    });
  });
  const last = page.at(-1)!;
  return { turns, nextPageToken: spans.length > size ? encodePageToken([String(last.turn)]) : "" };
}
