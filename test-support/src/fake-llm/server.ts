/**
 * The HTTP plumbing both fake LLM servers share: a server on 127.0.0.1:0, a queue of scripted
 * replies (one per request, in order), a record of every request received (method, path,
 * headers, parsed body), SSE writing with optional pauses, and connections that can be held open
 * to test cancellation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

/** An HTTP error reply: status, JSON body and headers (e.g. retry-after). */
export interface ErrorReply {
  readonly kind: "error";
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** One SSE frame: an optional event name and a JSON (or raw string) data line. */
export interface SseFrame {
  readonly event?: string;
  readonly data: unknown;
}

/** A streamed reply: frames written in order, `hold` keeps the connection open after them. */
export interface StreamReply {
  readonly kind: "stream";
  readonly frames: readonly SseFrame[];
  /** Pause between frames in ms (0: all at once). */
  readonly pauseMs?: number;
  /** Keep the response open after the last frame until the client goes away. */
  readonly hold?: boolean;
}

/** What the fake answers one request with. */
export type Reply = ErrorReply | StreamReply;

/** A running fake. */
export interface FakeServer {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues replies for the next requests. */
  enqueue(...replies: Reply[]): void;
  /** Resolves when the client closed a held stream (the adapter aborted). */
  readonly clientClosed: Promise<void>;
  close(): Promise<void>;
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? {} : (JSON.parse(text) as Record<string, unknown>);
}

/** Starts a fake answering POSTs to `path` from its queue; `whenEmpty` answers when the queue runs dry. */
export async function startFakeServer(path: string, whenEmpty: () => Reply): Promise<FakeServer> {
  const queue: Reply[] = [];
  const requests: RecordedRequest[] = [];
  let onClientClosed: () => void = () => {};
  const clientClosed = new Promise<void>((resolve) => (onClientClosed = resolve));

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    requests.push({ method: request.method ?? "", path: request.url ?? "", headers: request.headers, body });
    if (request.method !== "POST" || request.url?.split("?")[0] !== path) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `no route ${request.url}` } }));
      return;
    }
    const reply = queue.shift() ?? whenEmpty();
    if (reply.kind === "error") {
      response.writeHead(reply.status, { "content-type": "application/json", ...reply.headers }).end(JSON.stringify(reply.body));
      return;
    }
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
    response.on("close", () => {
      if (!response.writableFinished) onClientClosed();
    });
    for (const frame of reply.frames) {
      if (response.destroyed) return;
      const data = typeof frame.data === "string" ? frame.data : JSON.stringify(frame.data);
      response.write(`${frame.event ? `event: ${frame.event}\n` : ""}data: ${data}\n\n`);
      if (reply.pauseMs) await new Promise((resolve) => setTimeout(resolve, reply.pauseMs));
    }
    if (!reply.hold) response.end();
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500).end(String(error));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => queue.push(...replies),
    clientClosed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
