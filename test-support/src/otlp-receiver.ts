/**
 * An in-process OTLP/HTTP trace receiver on port 0 (JSON encoding): it accepts
 * ExportTraceServiceRequest bodies at /v1/traces and keeps every span with its service name,
 * ids as hex, for tests that check one trace's shape.
 */
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";

/** One received span. */
export interface ReceivedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  /** "" for a root span. */
  readonly parentSpanId: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** The base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  /** The content types of the requests received (to tell the encodings apart). */
  readonly contentTypes: string[];
  close(): Promise<void>;
}

interface OtlpJsonValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpJson {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: OtlpJsonValue }[] };
    scopeSpans?: { spans?: { name: string; traceId: string; spanId: string; parentSpanId?: string; kind?: number; attributes?: { key: string; value: OtlpJsonValue }[] }[] }[];
  }[];
}

const valueOf = (v: OtlpJsonValue): unknown => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;

/** Starts a receiver on 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const type = req.headers["content-type"] ?? "";
      contentTypes.push(type);
      if (req.url !== "/v1/traces" || req.method !== "POST") return void res.writeHead(404).end();
      if (type.startsWith("application/json")) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpJson;
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === "service.name")?.value.stringValue ?? "";
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) {
              spans.push({
                service,
                name: s.name,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId ?? "",
                kind: s.kind ?? 0,
                attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, valueOf(a.value)])),
              });
            }
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
