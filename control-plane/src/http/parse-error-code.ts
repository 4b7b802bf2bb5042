/**
 * connect-es answers a request that is not valid binary protobuf with INTERNAL ("parse binary:
 * …"), unlike malformed JSON (INVALID_ARGUMENT) and unlike connect-go. The client is at fault,
 * so this corrects the code to INVALID_ARGUMENT in every protocol's error encoding. The request
 * is parsed before any interceptor runs, hence a wrapper around the method handlers.
 */
import type { ConnectRouter } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";

const isParseError = (message: unknown) => typeof message === "string" && message.startsWith("parse binary: ");

// Connect error JSON, unary ({code, message}) or in a stream's end message ({error: {code, message}}).
function correctJson(text: string, streamEnd: boolean): string | undefined {
  const body = JSON.parse(text) as { code?: string; message?: string; error?: { code?: string; message?: string } };
  const error = streamEnd ? body.error : body;
  if (error?.code !== "internal" || !isParseError(error.message)) return undefined;
  error.code = "invalid_argument";
  return JSON.stringify(body);
}

// gRPC-Web trailers are HTTP/1-style lines in the last frame; grpc-message is percent-encoded.
function correctTrailerLines(text: string): string | undefined {
  const message = /^grpc-message: ?(.*?)\r?$/im.exec(text)?.[1];
  if (!/^grpc-status: ?13\r?$/im.test(text) || !isParseError(decodeURIComponent(message ?? ""))) return undefined;
  return text.replace(/^(grpc-status: ?)13/im, (_, name: string) => `${name}3`);
}

function frame(flags: number, data: Buffer): Uint8Array {
  const out = Buffer.alloc(5 + data.byteLength);
  out[0] = flags;
  out.writeUInt32BE(data.byteLength, 1);
  data.copy(out, 5);
  return out;
}

// Streamed bodies arrive one envelope per chunk: a flags byte, a 4-byte length, the data.
function correctEnvelope(chunk: Uint8Array, contentType: string): Uint8Array {
  if (chunk.byteLength < 5) return chunk;
  if (contentType.startsWith("application/grpc-web") && chunk[0] === 0x80) {
    const text = correctTrailerLines(Buffer.from(chunk.subarray(5)).toString("latin1"));
    return text === undefined ? chunk : frame(0x80, Buffer.from(text, "latin1"));
  }
  if (contentType.startsWith("application/connect+") && chunk[0] === 0x02) {
    const text = correctJson(Buffer.from(chunk.subarray(5)).toString("utf8"), true);
    return text === undefined ? chunk : frame(0x02, Buffer.from(text));
  }
  return chunk;
}

async function corrected(res: UniversalServerResponse): Promise<UniversalServerResponse> {
  const { body, header, trailer } = res;
  const contentType = header?.get("content-type") ?? "";
  if (!body || !header || header.has("content-encoding")) return res;
  if (res.status === 500 && contentType === "application/json") {
    const parts: Uint8Array[] = [];
    for await (const part of body) parts.push(part);
    const text = correctJson(Buffer.concat(parts).toString("utf8"), false);
    if (text === undefined) return { ...res, body: createAsyncIterable(parts) };
    const fixed = Buffer.from(text);
    header.set("content-length", String(fixed.byteLength));
    return { ...res, status: 400, body: createAsyncIterable([fixed]) };
  }
  if (res.status !== 200 || !/^application\/(?:grpc|connect\+)/.test(contentType)) return res;
  return {
    ...res,
    body: (async function* () {
      for await (const chunk of body) yield correctEnvelope(chunk, contentType);
      if (trailer?.get("grpc-status") === "13" && isParseError(decodeURIComponent(trailer.get("grpc-message") ?? ""))) {
        trailer.set("grpc-status", "3");
      }
    })(),
  };
}

/** Wraps route registration so every method reports a request that is not valid protobuf as INVALID_ARGUMENT. */
export function withClientParseErrors(routes: (router: ConnectRouter) => void): (router: ConnectRouter) => void {
  return (router) => {
    routes(router);
    router.handlers.forEach((handler, i) => {
      const wrapped = async (req: Parameters<UniversalHandler>[0]) => corrected(await handler(req));
      router.handlers[i] = Object.assign(wrapped, handler);
    });
  };
}
