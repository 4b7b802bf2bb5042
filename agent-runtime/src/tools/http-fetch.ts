/**
 * http_fetch: GET or POST a URL under the egress policy. Each hop (the first URL and every
 * redirect, followed by hand) is checked: scheme, allow list, then every address the host
 * resolves to; the connection then goes to an address that was checked (the host name still
 * sets Host and SNI), so a DNS answer that changes between check and connect cannot reach a
 * refused address. Response size and total time are capped.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";

import { addressRefusal, type EgressPolicy, matchHost, METADATA_HOSTS } from "./egress-policy.js";
import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalString, requiredString } from "./tool-args.js";
import { ToolInputError, ToolRefusedError } from "../errors.js";
import type { Tool, ToolContext, ToolResult } from "./tool.js";
import { traceHeaders } from "../telemetry/spans.js";

/** A resolved address. */
export interface ResolvedAddress {
  /** The IP literal. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Options of http_fetch. */
export interface HttpFetchOptions extends EgressPolicy {
  /** Resolves a host name to every address it has; default the system resolver (dns.lookup). */
  readonly resolve?: (host: string) => Promise<readonly ResolvedAddress[]>;
  /** Most redirects followed; default 5. */
  readonly maxRedirects?: number;
  /** Largest request body, in bytes; default 1 MiB. */
  readonly maxRequestBytes?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const RESERVED_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding", "upgrade", "te"]);

/** Creates the http_fetch tool. */
export function createHttpFetchTool(options: HttpFetchOptions): Tool {
  const resolveHost = options.resolve ?? ((host: string) => dnsLookup(host, { all: true, verbatim: true }));
  const maxRedirects = options.maxRedirects ?? 5;
  const maxRequestBytes = options.maxRequestBytes ?? 1024 * 1024;
  return {
    name: "http_fetch",
    description: "Fetch a URL over HTTP(S) with GET or POST; only hosts allowed by the agent's egress policy are reachable.",
    parameters: {
      type: "object",
      properties: {
        url: { type: "string", description: "http:// or https:// URL." },
        method: { type: "string", enum: ["GET", "POST"], description: "Default GET." },
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: { type: "string", description: "Request body, for POST." },
      },
      required: ["url"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const method = (optionalString(a, "method") ?? "GET").toUpperCase();
        if (method !== "GET" && method !== "POST") throw new ToolInputError('"method" must be GET or POST');
        const body = optionalString(a, "body");
        if (body !== undefined && method === "GET") throw new ToolInputError("a GET request has no body");
        if (body !== undefined && Buffer.byteLength(body) > maxRequestBytes) {
          throw new ToolInputError(`body is over the ${maxRequestBytes}-byte limit`);
        }
        const request: Hop = { url: parseUrl(requiredString(a, "url")), method, headers: parseHeaders(a.headers), body };
        const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.limits.timeoutMs)]);
        try {
          return await fetchFollowing(request, { policy: options, resolveHost, maxRedirects, ctx, signal });
        } catch (error) {
          if (signal.aborted && !ctx.signal.aborted) {
            return { output: `no response within ${ctx.limits.timeoutMs} ms`, status: "timeout", truncated: false };
          }
          throw error;
        }
      }),
  };
}

interface Hop {
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body: string | undefined;
}

interface FetchEnv {
  policy: EgressPolicy;
  resolveHost: (host: string) => Promise<readonly ResolvedAddress[]>;
  maxRedirects: number;
  ctx: ToolContext;
  signal: AbortSignal;
}

async function fetchFollowing(first: Hop, env: FetchEnv): Promise<ToolResult> {
  let hop = first;
  for (let redirects = 0; ; redirects++) {
    const address = await checkedAddress(hop.url, env);
    const response = await send(hop, address, env.signal);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || location === undefined) return readResponse(response, env.ctx);
    response.destroy();
    if (redirects === env.maxRedirects) throw new ToolRefusedError(`more than ${env.maxRedirects} redirects`);
    const next = parseUrl(new URL(location, hop.url).href);
    const keepBody = response.statusCode === 307 || response.statusCode === 308;
    hop = {
      url: next,
      method: keepBody ? hop.method : "GET",
      // Caller headers (credentials, cookies) are not carried to another origin.
      headers: next.origin === hop.url.origin ? hop.headers : {},
      body: keepBody ? hop.body : undefined,
    };
  }
}

/** Checks `url`'s host against the policy and returns the address to connect to; throws ToolRefusedError. */
async function checkedAddress(url: URL, env: FetchEnv): Promise<ResolvedAddress> {
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "").toLowerCase();
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const match = matchHost(env.policy, host, port);
  if (match === "none") throw new ToolRefusedError(`host ${host}:${port} is not in the egress allow list`);
  if (METADATA_HOSTS.has(host) && !(env.policy.allowPrivateNetwork && match === "explicit")) {
    throw new ToolRefusedError(`host ${host} is a cloud metadata service`);
  }
  const family = isIP(host);
  const addresses =
    family !== 0 ? [{ address: host, family }] : await env.resolveHost(host).catch((error: unknown) => {
      throw new ToolInputError(`cannot resolve ${host}`, { cause: error });
    });
  if (addresses.length === 0) throw new ToolInputError(`cannot resolve ${host}`);
  for (const { address } of addresses) {
    const refusal = addressRefusal(env.policy, match, address);
    if (refusal !== undefined) throw new ToolRefusedError(`host ${host} refused: ${refusal}`);
  }
  return addresses[0] as ResolvedAddress;
}

function send(hop: Hop, address: ResolvedAddress, signal: AbortSignal): Promise<IncomingMessage> {
  // Connect only to the checked address, whatever the resolver would answer now.
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all === true) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  };
  const requestFn = hop.url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = requestFn(hop.url, {
      method: hop.method,
      headers: { "user-agent": "raworc-agent", "accept-encoding": "identity", ...traceHeaders(), ...hop.headers },
      lookup: pinned,
      signal,
      agent: false,
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end(hop.body);
  });
}

async function readResponse(response: IncomingMessage, ctx: ToolContext): Promise<ToolResult> {
  const cap = ctx.limits.maxOutputBytes;
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of response) {
    const buffer = chunk as Buffer;
    chunks.push(buffer);
    size += buffer.length;
    if (size > cap) {
      truncated = true;
      response.destroy();
      break;
    }
  }
  const head = `HTTP ${response.statusCode ?? 0} ${response.statusMessage ?? ""}\ncontent-type: ${response.headers["content-type"] ?? ""}\n\n`;
  const body = Buffer.concat(chunks).subarray(0, cap).toString("utf8");
  const status = (response.statusCode ?? 0) >= 400 ? "error" : "ok";
  if (!truncated) return textResult(ctx, head + body, status);
  return { output: `${head}${body}\n[response truncated at ${cap} bytes]`, status, truncated: true };
}

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ToolInputError(`not a URL: ${JSON.stringify(text)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ToolRefusedError(`scheme ${url.protocol} is not allowed`);
  if (url.username !== "" || url.password !== "") throw new ToolInputError("credentials in the URL are not allowed");
  return url;
}

function parseHeaders(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  const headers = argsObject(value);
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(headers)) {
    if (typeof v !== "string") throw new ToolInputError(`header ${name} must be a string`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new ToolInputError(`header ${name} cannot be set`);
    out[name] = v;
  }
  return out;
}
