/**
 * Drives sessions through the public API for the model and tool end-to-end tests: create a
 * session and wait until its daemon is READY, send a message and collect the events of the
 * turn that answers it, and poll with a bound.
 */
import assert from "node:assert/strict";
import type { Client } from "@connectrpc/connect";
import { SessionState, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import type { Session, SessionService } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { SessionFollower } from "./session-follower.js";

/** Polls until `check` passes; fails with `what` after `ms` (a bound on waiting, not a timing assertion). */
export async function eventually<T>(what: string, read: () => Promise<T>, check: (value: T) => boolean, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Whether an event closes its turn. */
export const closing = (event: SessionEvent): boolean =>
  event.payload.case === "turnCompleted" || event.payload.case === "turnFailed" || event.payload.case === "turnCancelled";

/** The events of one turn, and its text. */
export interface TurnResult {
  readonly turn: number;
  readonly events: SessionEvent[];
  readonly reply: string;
  /** The closing event. */
  readonly end: SessionEvent;
}

/** One READY session followed from its first event. */
export class DrivenSession {
  readonly follower: SessionFollower;

  private constructor(
    private readonly client: () => Client<typeof SessionService>,
    readonly ref: { readonly namespace: string; readonly name: string },
  ) {
    this.follower = new SessionFollower(client, ref);
  }

  /** Creates a session of `agents` and waits until it is READY. */
  static async start(client: () => Client<typeof SessionService>, namespace: string, name: string, agents: string[]): Promise<DrivenSession> {
    await client().createSession({ session: { metadata: { namespace, name }, spec: { agents } } });
    const driven = new DrivenSession(client, { namespace, name });
    await eventually(`${name} READY`, () => driven.get(), (session) => session.status?.state === SessionState.READY, 60_000);
    return driven;
  }

  /** The session as it stands. */
  async get(): Promise<Session> {
    return (await this.client().getSession({ ref: this.ref })).session!;
  }

  /** Sends `text` and returns the number of the turn that takes it, once it started. */
  async send(text: string, agent = ""): Promise<number> {
    const sent = await this.client().sendMessage({ ref: this.ref, text, agent });
    const started = await this.follower.waitFor(
      `the turn answering "${text}"`,
      (event) => event.payload.case === "turnStarted" && event.payload.value.messageId === sent.messageId,
    );
    return started.turn;
  }

  /** Waits for turn `turn` to end and returns its events. */
  async ended(turn: number, ms = 60_000): Promise<TurnResult> {
    const end = await this.follower.waitFor(`turn ${turn}'s end`, (event) => event.turn === turn && closing(event), ms);
    return { turn, events: this.follower.turn(turn), reply: this.follower.reply(turn), end };
  }

  /** Sends `text` and waits for the turn that answers it to end. */
  async turn(text: string, agent = ""): Promise<TurnResult> {
    return this.ended(await this.send(text, agent));
  }

  /** Stops following. */
  stop(): Promise<void> {
    return this.follower.stop();
  }
}

/** The payload value of events of kind `K`. */
type PayloadOf<K> = Extract<SessionEvent["payload"], { case: K }> extends { value: infer V } ? V : never;

/** The events of `result` with payload `kind`, as their payload values. */
export function payloads<K extends NonNullable<SessionEvent["payload"]["case"]>>(result: TurnResult, kind: K): PayloadOf<K>[] {
  return result.events.flatMap((event) => (event.payload.case === kind ? [event.payload.value as PayloadOf<K>] : []));
}
