/** The opening of an attach stream: Hello first, checked against the token and the stored session, answered by a Welcome. */
import { Code, ConnectError } from "@connectrpc/connect";
import type { AttachRequest, Hello, Welcome } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import type { SessionStore } from "../session-store.js";
import type { AttachOptions } from "./options.js";
import { assertOwner, failSession, type StreamOwner } from "./session-effects.js";
import { buildWelcome, SessionConfigError, type WelcomeSources } from "./welcome.js";

const invalid = (message: string) => new ConnectError(message, Code.InvalidArgument);

/** The only protocol version this control plane speaks (runtime.proto describes it). */
export const protocolVersion = 1;

/** Reads the first message, which must be Hello for the token's session: INVALID_ARGUMENT, PERMISSION_DENIED or DEADLINE_EXCEEDED otherwise. */
export async function receiveHello(iterator: AsyncIterator<AttachRequest>, sessionId: string, timeoutMs: number): Promise<Hello> {
  const first = iterator.next();
  first.catch(() => undefined); // when the deadline wins, a late failure has nobody left to tell
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectError(`no Hello within ${timeoutMs} ms`, Code.DeadlineExceeded)), timeoutMs);
  });
  try {
    const next = await Promise.race([first, deadline]);
    if (next.done) throw invalid("the stream ended before Hello");
    const { payload, seq } = next.value;
    if (payload.case !== "hello" || seq !== 0n) throw invalid("the first message must be Hello, with seq 0");
    if (payload.value.sessionId !== sessionId) throw new ConnectError("the token is for another session", Code.PermissionDenied);
    if (payload.value.protocolVersion !== protocolVersion) {
      throw invalid(`protocol version ${payload.value.protocolVersion} is not spoken here; this control plane speaks ${protocolVersion}`);
    }
    return payload.value;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks Hello against the stored session and builds the Welcome. A session that cannot run
 * (a missing agent or secret, a volume behind what was committed) goes FAILED with the reason,
 * and the stream ends FAILED_PRECONDITION so the daemon exits.
 */
export async function admit(
  deps: { readonly sessions: SessionStore; readonly welcome: WelcomeSources; readonly options: AttachOptions },
  owner: StreamOwner,
  hello: Hello,
): Promise<{ welcome: Welcome; committed: bigint }> {
  const { sessions } = deps;
  const row = await sessions.findById(owner.sessionId);
  if (!row) throw new ConnectError("the session no longer exists", Code.FailedPrecondition);
  assertOwner(row, owner);
  const committed = BigInt(row.lastDaemonSeq);
  if (committed > hello.lastDaemonSeq) {
    const message = `the control plane holds daemon seq ${committed} but the daemon's volume only reached ${hello.lastDaemonSeq}`;
    await failSession(sessions, owner, "VolumeRolledBack", message);
    throw new ConnectError(message, Code.FailedPrecondition);
  }
  if (hello.lastAckedControlSeq > BigInt(row.lastWorkSeq)) {
    throw invalid(`last_acked_control_seq ${hello.lastAckedControlSeq} is beyond the session's last work item ${row.lastWorkSeq}`);
  }
  try {
    return { welcome: await buildWelcome(deps.welcome, row, deps.options), committed };
  } catch (error) {
    if (!(error instanceof SessionConfigError)) throw error;
    await failSession(sessions, owner, error.reason, error.message);
    throw new ConnectError(error.message, Code.FailedPrecondition);
  }
}
