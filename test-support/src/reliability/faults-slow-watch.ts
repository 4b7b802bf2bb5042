/**
 * A WatchSession client that never reads its stream: a raw gRPC call over its own HTTP/2
 * connection whose response is never consumed, so Node never opens its flow-control window
 * again and the server can only send as much as the window and the socket buffers take.
 */
import { connect, type ClientHttp2Session, type ClientHttp2Stream } from "node:http2";
import { toBinary } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { WatchSessionRequestSchema } from "@raworc/proto/gen/raworc/v1/session_pb.js";
import { ref } from "../fault-support.js";

/** A watch nobody reads. */
export interface StalledWatch {
  /** Whether the server answered the call with response headers (the stream is open). */
  readonly opened: Promise<void>;
  /** Closes the stream and its connection. */
  close(): void;
}

/** Opens WatchSession(from seq 0) on `session` over gRPC (HTTP/2 cleartext) and never reads the response. */
export function stalledWatch(baseUrl: string, token: string, session: string): StalledWatch {
  const client: ClientHttp2Session = connect(baseUrl);
  client.on("error", () => undefined); // closed under it at the end; not the test's subject
  const message = toBinary(WatchSessionRequestSchema, create(WatchSessionRequestSchema, { ref: ref(session), fromSeq: 0n }));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1); // byte 0: not compressed
  frame.set(message, 5);
  const stream: ClientHttp2Stream = client.request({
    ":method": "POST",
    ":path": "/raworc.v1.SessionService/WatchSession",
    "content-type": "application/grpc+proto",
    te: "trailers",
    authorization: `Bearer ${token}`,
  });
  stream.on("error", () => undefined);
  stream.end(frame);
  // No 'data' listener and no resume(): the stream stays paused and its window is never reopened.
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("response", () => resolve());
    stream.once("close", () => reject(new Error(`the slow watch of ${session} closed before the server answered`)));
  });
  opened.catch(() => undefined);
  return {
    opened,
    close() {
      stream.close();
      client.destroy();
    },
  };
}
