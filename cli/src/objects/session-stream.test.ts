import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { SessionEventSchema, type SessionEvent } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { SessionService, WatchSessionResponseSchema } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { followEvents, followReply } from "./session-stream.js";

const event = (seq: number, payload: SessionEvent["payload"] = { case: "log", value: { message: `e${seq}` } as never }, turn = 0) =>
  create(WatchSessionResponseSchema, { message: { case: "event", value: create(SessionEventSchema, { seq: BigInt(seq), turn, payload }) } });

/** Plays a script as a server stream, one message per tick. */
async function* streamed<T>(script: Iterable<T>): AsyncGenerator<T> {
  for (const message of script) {
    await Promise.resolve();
    yield message;
  }
}

/** A SessionService whose watches play the given scripts in turn, recording the cursor each was opened with. */
function scriptedWatches(scripts: ((fromSeq: bigint) => Generator<ReturnType<typeof event>>)[]) {
  const cursors: bigint[] = [];
  const transport = createRouterTransport(({ service }) =>
    service(SessionService, {
      watchSession(req) {
        cursors.push(req.fromSeq);
        const script = scripts.shift();
        if (!script) throw new ConnectError("no more scripts", Code.Internal);
        return streamed(script(req.fromSeq));
      },
    }),
  );
  return { conn: { transport }, cursors };
}

const ref = { namespace: "default", name: "s" };

describe("following a session's events", () => {
  it("resumes a broken watch from the last seq seen, showing nothing twice", async () => {
    const { conn, cursors } = scriptedWatches([
      function* () {
        yield event(1);
        yield event(2);
        throw new ConnectError("server shutting down", Code.Unavailable);
      },
      function* () {
        yield event(2); // a server that repeats itself must not make the client repeat itself
        yield event(3);
      },
    ]);
    const seen: bigint[] = [];
    assert.equal(await followEvents(conn, ref, 0n, (e) => void seen.push(e.seq), { resumeDelayMs: 1 }), "terminated");
    assert.deepEqual(seen, [1n, 2n, 3n]);
    assert.deepEqual(cursors, [0n, 2n]);
  });

  it("gives up on errors that a retry cannot fix, and on a server gone longer than allowed", async () => {
    const denied = scriptedWatches([
      function* () {
        yield event(1);
        throw new ConnectError("no", Code.PermissionDenied);
      },
    ]);
    await assert.rejects(followEvents(denied.conn, ref, 0n, () => undefined, { resumeDelayMs: 1 }), (e: unknown) => e instanceof ConnectError && e.code === Code.PermissionDenied);
    const gone = scriptedWatches(
      Array.from({ length: 50 }, () =>
        // eslint-disable-next-line require-yield
        function* () {
          throw new ConnectError("down", Code.Unavailable);
        },
      ),
    );
    await assert.rejects(followEvents(gone.conn, ref, 0n, () => undefined, { resumeDelayMs: 1, resumeForMs: 20 }), (e: unknown) => e instanceof ConnectError && e.code === Code.Unavailable);
  });

  it("follows the reply to one message: its turn's text, then how the turn ended", async () => {
    const { conn } = scriptedWatches([
      function* () {
        yield event(5, { case: "textDelta", value: { text: "of an earlier turn" } as never }, 1);
        yield event(6, { case: "turnStarted", value: { messageId: "m-2" } as never }, 2);
        yield event(7, { case: "textDelta", value: { text: "Hel" } as never }, 2);
        yield event(8, { case: "toolCallStarted", value: { toolCallId: "c", tool: "shell" } as never }, 2);
        yield event(9, { case: "textDelta", value: { text: "lo" } as never }, 2);
        yield event(10, { case: "turnFailed", value: { reason: "ModelError", message: "boom" } as never }, 2);
        yield event(11);
      },
    ]);
    let text = "";
    const others: string[] = [];
    const outcome = await followReply(conn, ref, { messageId: "m-2", seq: 4n }, (t) => (text += t), (e) => others.push(e.payload.case ?? ""));
    assert.deepEqual([text, others, outcome], ["Hello", ["toolCallStarted"], { turn: 2, outcome: "failed", reason: "ModelError: boom" }]);
  });
});
