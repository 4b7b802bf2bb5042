/**
 * A session's turn history, derived from its event log: each turn's span of events, the
 * TurnStarted that opened it, the event that ended it, and the user message it answered.
 * Nothing is stored twice, so the history can never disagree with the log. A remix's history
 * starts with the turns it inherited, read from the logs of the ancestors that took them.
 */
import { create, fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { EntityManager } from "@mikro-orm/postgresql";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { InheritedTurnSchema, TurnOutcome, TurnSchema, type InheritedTurn, type Turn } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { decodePageToken, effectivePageSize, encodePageToken } from "../store/page-token.js";
import { checkpointIds } from "./session-checkpoints.js";
import { readLineageChain } from "./store/lineage-chain.js";

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

/** Where some of a session's turns are recorded: one event log of its lineage, for turns numbered after `after` up to `upTo`. */
interface TurnSource {
  readonly sessionId: string;
  readonly after: number;
  readonly upTo: number;
  /** The ancestor that took these turns; absent for the session's own. */
  readonly inheritedFrom?: InheritedTurn;
}

/** Highest turn number a source can hold (the column is an int). */
const lastPossibleTurn = 2 ** 31 - 1;

/**
 * The event logs that hold a session's turns, oldest turns first: a remix inherits turns 1 to
 * its parent_turn, which its source took up to the source's own parent_turn, and so on up the
 * chain (a remix at an inherited turn takes nothing of the source's own turns).
 */
async function turnSources(em: EntityManager, sessionId: string): Promise<TurnSource[]> {
  const [self, ...ancestors] = await readLineageChain(em, sessionId);
  if (!self) return [];
  const sources: TurnSource[] = [{ sessionId, after: self.parentTurn, upTo: lastPossibleTurn }];
  let upTo = self.parentTurn;
  for (const link of ancestors) {
    if (link.parentTurn < upTo) {
      const inheritedFrom = create(InheritedTurnSchema, { session: { namespace: link.namespace, name: link.name }, sessionUid: link.id });
      sources.push({ sessionId: link.id, after: link.parentTurn, upTo, inheritedFrom });
    }
    upTo = Math.min(upTo, link.parentTurn);
  }
  return sources.reverse();
}

/** One turn's span of events in its source's log. */
interface TurnSpan {
  readonly turn: number;
  readonly firstSeq: bigint;
  readonly lastSeq: bigint;
}

async function turnSpans(em: EntityManager, source: TurnSource, afterTurn: number, limit: number): Promise<TurnSpan[]> {
  const rows = await em.execute<{ turn: number; first_seq: string; last_seq: string }[]>(
    `select turn, min(seq) as first_seq, max(seq) as last_seq from session_events
      where session_id = ? and turn > ? and turn <= ? group by turn order by turn limit ?`,
    [source.sessionId, Math.max(afterTurn, source.after), source.upTo, limit],
  );
  return rows.map((r) => ({ turn: r.turn, firstSeq: BigInt(r.first_seq), lastSeq: BigInt(r.last_seq) }));
}

/** The turns of `spans` (consecutive, of one source); checkpoints are those of `sessionId`, the session listed, which holds copies of inherited ones. */
async function turnsOf(em: EntityManager, sessionId: string, source: TurnSource, spans: readonly TurnSpan[]): Promise<Turn[]> {
  const first = spans[0]!.turn;
  const last = spans.at(-1)!.turn;
  const bounds = await em.execute<{ payload: Buffer }[]>(
    `select payload from session_events where session_id = ? and turn between ? and ? and kind in (${boundaryKinds.map(() => "?").join(", ")}) order by seq`,
    [source.sessionId, first, last, ...boundaryKinds],
  );
  const started = new Map<number, SessionEvent>();
  const ended = new Map<number, SessionEvent>();
  for (const { payload } of bounds) {
    const event = fromBinary(SessionEventSchema, payload);
    if (event.payload.case === "turnStarted") started.set(event.turn, event);
    else ended.set(event.turn, event);
  }
  const messageIds = new Set([...started.values()].map((e) => (e.payload.case === "turnStarted" ? e.payload.value.messageId : "")).filter(Boolean));
  const texts = await userMessages(em, source.sessionId, messageIds, spans.at(-1)!.lastSeq);
  const checkpoints = await checkpointIds(em, sessionId, first, last);
  return spans.map((span) => {
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
      firstSeq: span.firstSeq,
      lastSeq: span.lastSeq,
      inheritedFrom: source.inheritedFrom,
    });
  });
}

/**
 * One page of a session's turns, by number, inherited ones (marked) first; the page token is
 * the last turn number returned.
 */
export async function listTurns(em: EntityManager, sessionId: string, pageSize: number, pageToken: string): Promise<{ turns: Turn[]; nextPageToken: string }> {
  const size = effectivePageSize(pageSize);
  const after = afterTurn(pageToken);
  // One more than a page, to know whether another follows.
  const found: { source: TurnSource; spans: TurnSpan[] }[] = [];
  let count = 0;
  for (const source of await turnSources(em, sessionId)) {
    if (count > size) break;
    if (source.upTo <= after) continue;
    const spans = await turnSpans(em, source, after, size + 1 - count);
    if (spans.length > 0) found.push({ source, spans });
    count += spans.length;
  }
  const turns: Turn[] = [];
  for (const { source, spans } of found) {
    const onPage = spans.slice(0, size - turns.length);
    if (onPage.length > 0) turns.push(...(await turnsOf(em, sessionId, source, onPage)));
  }
  const last = turns.at(-1);
  return { turns, nextPageToken: count > size && last ? encodePageToken([String(last.number)]) : "" };
}
