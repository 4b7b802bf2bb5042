/** A daemon driven by a test: the real gRPC attach stream, with messages written by hand. */
import { randomUUID } from "node:crypto";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Code } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Hello } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { AttachRequestSchema, RuntimeService, type AttachRequest, type AttachResponse } from "@raworc/proto/gen/raworc/v1/runtime_pb.js";
import { OutboundQueue } from "./outbound-queue.js";

/** How a stream ended: "OK" or the code. */
export type Ending = "OK" | Code;

/** One attach stream, as a daemon sees it. */
export class TestDaemon {
  /** This daemon process's id. */
  readonly instanceId = randomUUID();
  /** The highest ack the control plane sent. */
  lastAck = 0n;
  private readonly requests = new OutboundQueue<AttachRequest>();
  private readonly responses: AsyncIterator<AttachResponse>;
  private readonly abort = new AbortController();

  constructor(baseUrl: string, token: string) {
    const transport = createGrpcTransport({
      baseUrl,
      interceptors: [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ],
    });
    this.responses = createClient(RuntimeService, transport).attach(this.requests, { signal: this.abort.signal })[Symbol.asyncIterator]();
  }

  /** Sends one message. */
  send(message: MessageInitShape<typeof AttachRequestSchema>): void {
    this.requests.push(create(AttachRequestSchema, message));
  }

  /** Sends Hello for the session. */
  hello(sessionId: string, fields: Partial<Pick<Hello, "lastAckedControlSeq" | "lastDaemonSeq" | "resumed">> = {}): void {
    this.send({ payload: { case: "hello", value: { sessionId, protocolVersion: 1, instanceId: this.instanceId, daemonVersion: "test", ...fields } } });
  }

  /** Sends a text delta event with its seq. */
  event(seq: bigint, text: string): void {
    this.send({ seq, payload: { case: "event", value: { turn: 1, payload: { case: "textDelta", value: { text } } } } });
  }

  /** Sends a heartbeat acknowledging work items through `ack`. */
  heartbeat(ack = 0n): void {
    this.send({ ack, payload: { case: "heartbeat", value: {} } });
  }

  /** The next message, heartbeats included; throws the stream's error, or when it ended. */
  async nextRaw(): Promise<AttachResponse> {
    const next = await this.responses.next();
    if (next.done) throw new Error("the stream ended");
    if (next.value.ack > this.lastAck) this.lastAck = next.value.ack;
    return next.value;
  }

  /** The next message that is not a heartbeat. */
  async receive(): Promise<AttachResponse> {
    for (;;) {
      const message = await this.nextRaw();
      if (message.payload.case !== "heartbeat") return message;
    }
  }

  /** Reads until the control plane has acknowledged `seq`; returns the messages that were not heartbeats. */
  async ackedThrough(seq: bigint): Promise<AttachResponse[]> {
    const others: AttachResponse[] = [];
    while (this.lastAck < seq) {
      const message = await this.nextRaw();
      if (message.payload.case !== "heartbeat") others.push(message);
    }
    return others;
  }

  /** Reads until the stream ends and says how. */
  async ending(): Promise<Ending> {
    try {
      for (;;) {
        const next = await this.responses.next();
        if (next.done) return "OK";
      }
    } catch (error) {
      return ConnectError.from(error).code;
    }
  }

  /** Closes the daemon's side and cancels the call. */
  close(): void {
    this.requests.close();
    this.abort.abort();
  }
}
