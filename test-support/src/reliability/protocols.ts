/**
 * The three protocols of the one port as clients speak them, and a generic call of any method
 * of any service through them, for the hostile-input suite.
 */
import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport, Http2SessionManager } from "@connectrpc/connect-node";

/** The protocol variants the suite drives. */
export const protocols = ["grpc", "grpc-web", "connect-json", "connect-binary"] as const;

/** One of {@link protocols}. */
export type Protocol = (typeof protocols)[number];

/** Transports of every protocol to one server, sharing HTTP/2 connections; close() ends them. */
export interface Transports {
  readonly of: Record<Protocol, Transport>;
  close(): void;
}

/** Opens transports to `baseUrl`: gRPC over HTTP/2, gRPC-Web over HTTP/1.1, Connect JSON over HTTP/2, Connect binary over HTTP/1.1. */
export function openTransports(baseUrl: string): Transports {
  const grpc = new Http2SessionManager(baseUrl);
  const connect = new Http2SessionManager(baseUrl);
  return {
    of: {
      grpc: createGrpcTransport({ baseUrl, sessionManager: grpc }),
      "grpc-web": createGrpcWebTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
      "connect-json": createConnectTransport({ baseUrl, httpVersion: "2", sessionManager: connect }),
      "connect-binary": createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: true }),
    },
    close() {
      grpc.abort();
      connect.abort();
    },
  };
}

/** Whether `protocol` can carry `method` (HTTP/1.1 cannot carry a client stream). */
export function canCarry(protocol: Protocol, method: DescMethod): boolean {
  const clientStreams = method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";
  return !clientStreams || protocol === "grpc" || protocol === "connect-json";
}

/** The outcome of one call: OK, or the error the client saw. */
export type Outcome = { readonly ok: true } | { readonly ok: false; readonly error: ConnectError };

type AnyCall = (input: unknown, options: { timeoutMs: number; headers: Record<string, string> }) => unknown;

/**
 * Calls `method` with `input` (a message of its input type); a stream is read for at most a few
 * responses. A deadline the client sets is reported as an outcome like any other.
 */
export async function callAny(transport: Transport, service: DescService, method: DescMethod, input: unknown, token: string | undefined, timeoutMs = 3000): Promise<Outcome> {
  const client = createClient(service, transport) as unknown as Record<string, AnyCall>;
  const call = client[method.localName]!;
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const options = { timeoutMs, headers };
  try {
    switch (method.methodKind) {
      case "unary":
        await call(input, options);
        break;
      case "server_streaming":
        await readSome(call(input, options) as AsyncIterable<unknown>);
        break;
      case "client_streaming":
        await call(createAsyncIterable([input]), options);
        break;
      case "bidi_streaming":
        await readSome(call(createAsyncIterable([input]), options) as AsyncIterable<unknown>);
        break;
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, error: ConnectError.from(error, Code.Unknown) };
  }
}

async function readSome(stream: AsyncIterable<unknown>): Promise<void> {
  let seen = 0;
  for await (const _ of stream) if (++seen >= 3) break;
}
