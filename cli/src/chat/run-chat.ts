/** `raworc chat` as a plain function: find or create the session, then wire watch, renderer, controller and input together. */
import { createClient } from "@connectrpc/connect";
import { SessionService, type Session } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { sessionFromFlags, type CreateSessionFlags } from "../commands/session-actions.js";
import type { Io } from "../io.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { ChatController, type ChatResult } from "./controller.js";
import { followSession } from "./follower.js";
import { readChatInput } from "./input.js";
import { ChatRenderer } from "./renderer.js";
import { ChatCalls } from "./sender.js";
import { parseSessionRef } from "./session-ref.js";
import { styleFor } from "./style.js";

/** Flags of `raworc chat`. */
export interface ChatFlags extends CreateSessionFlags {
  /** Address every message to this agent of the session (default: routing chooses). */
  readonly to?: string;
}

/** Finds the named session, or creates one from the flags; returns it and the seq to follow its events from. */
async function openSession(conn: Connection, sessionArg: string | undefined, flags: ChatFlags): Promise<{ session: Session; ref: ObjectRefText; fromSeq: bigint; created: boolean }> {
  const client = createClient(SessionService, conn.transport);
  const present = (session: Session | undefined) => {
    if (!session) throw new Error("the server's response carried no session");
    return session;
  };
  if (sessionArg !== undefined) {
    const ref = parseSessionRef(sessionArg, flags.namespace);
    const session = present((await client.getSession({ ref }, { signal: conn.signal })).session);
    // Attaching shows what happens from now on; /history shows what came before.
    return { session, ref, fromSeq: session.status?.lastEventSeq ?? 0n, created: false };
  }
  const session = present((await client.createSession({ session: sessionFromFlags(flags) }, { signal: conn.signal })).session);
  const ref = { namespace: session.metadata?.namespace ?? "", name: session.metadata?.name ?? "" };
  return { session, ref, fromSeq: 0n, created: true };
}

/** Runs a chat until the input ends and the last turn has ended, /quit, or the session is deleted. */
export async function runChat(conn: Connection, io: Io, sessionArg: string | undefined, flags: ChatFlags): Promise<ChatResult> {
  const { session, ref, fromSeq, created } = await openSession(conn, sessionArg, flags);
  const interactive = io.stdin.isTTY === true;
  const note = (text: string) => io.stderr.write(`${text}\n`);
  const comeBack = `come back to it with: raworc chat ${ref.name} -n ${ref.namespace}`;
  note(`${created ? "created session" : "chatting in session"} ${ref.namespace}/${ref.name} (agents: ${session.spec?.agents.join(", ") ?? ""}); ${comeBack}`);
  if (interactive) note("type a message, /help for commands; Ctrl-D leaves");

  const renderer = new ChatRenderer({
    write: (text) => io.stdout.write(text),
    writeNotice: (text) => io.stderr.write(text),
    style: styleFor(io.stdout, io.env),
    isOwnMessage: (event) => chat.isOwnMessage(event),
    echoOwnMessages: !interactive,
  });
  const calls = new ChatCalls(conn, ref);
  const chat: ChatController = new ChatController({ conn, calls, renderer, interactive, agent: flags.to ?? "", prompt: (text) => input.prompt(text), write: (text) => io.stdout.write(text) });
  const input = readChatInput(io, interactive, { line: (text) => chat.line(text), end: () => chat.end(), interrupt: () => chat.interrupt() });

  for (const pending of session.status?.pendingApprovals ?? []) {
    chat.approvalPending(pending.toolCallId, pending.turn);
    renderer.notice(`approval waiting: ${pending.tool} (${pending.toolCallId}) in turn ${pending.turn}: ${pending.reason}; answer y/n or /approve ${pending.toolCallId}`);
  }

  const stopWatch = new AbortController();
  const onAbort = () => stopWatch.abort();
  conn.signal?.addEventListener("abort", onAbort, { once: true });
  const watched = followSession(conn, ref, fromSeq, (event) => chat.event(event), stopWatch.signal, {
    onBreak: (error) => renderer.notice(`lost the connection to the server (${error.rawMessage}); reconnecting…`),
    onResume: () => renderer.notice("reconnected"),
  }).then(
    () => {
      if (!stopWatch.signal.aborted) chat.sessionGone();
    },
    (error: unknown) => chat.fail(error),
  );
  try {
    return await chat.done;
  } finally {
    stopWatch.abort();
    conn.signal?.removeEventListener("abort", onAbort);
    input.close();
    await watched;
    renderer.endLine();
    note(comeBack.replace(/^c/, "C"));
  }
}

