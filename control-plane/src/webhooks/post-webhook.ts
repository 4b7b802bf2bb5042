/**
 * One webhook POST: the address check runs on every address actually connected to (DNS
 * answers are filtered before the socket opens, so a name cannot rebind to a refused address
 * between check and use), redirects are followed up to a limit with each hop checked the same
 * way, and one deadline covers the whole exchange.
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { AddressCheck } from "./target-policy.js";

/** What the endpoint answered: its status (0 when there was no answer), the start of its body, and what went wrong. */
export interface PostResult {
  readonly status: number;
  readonly body: string;
  readonly error: string;
}

/** Options of {@link postWebhook}. */
export interface PostOptions {
  readonly timeoutMs: number;
  readonly checkAddress: AddressCheck;
  /** Redirects followed at most (default 3), each re-POSTing the same body and headers. */
  readonly maxRedirects?: number;
}

/** Bytes of the response body kept for diagnosis. */
export const keptBodyBytes = 1024;

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A `lookup` for http.request that resolves, drops refused addresses and fails when none is left. */
function checkedLookup(check: AddressCheck) {
  return (hostname: string, options: { family?: number | string; all?: boolean }, callback: LookupCallback): void => {
    const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : typeof options.family === "number" ? options.family : 0;
    dnsLookup(hostname, { all: true, family }, (err, addresses) => {
      if (err) return callback(err, "");
      let refusal = "";
      const allowed = addresses.filter((a) => {
        const why = check(a.address);
        if (why) refusal = why;
        return !why;
      });
      if (allowed.length === 0) return callback(Object.assign(new Error(`address refused: ${refusal}`), { code: "EADDRREFUSED" }), "");
      if (options.all) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/** POSTs `body` to `target`, following redirects; never throws. */
export async function postWebhook(target: string, headers: Record<string, string>, body: string, options: PostOptions): Promise<PostResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const maxRedirects = options.maxRedirects ?? 3;
  let url = new URL(target);
  for (let hop = 0; ; hop++) {
    const answer = await postOnce(url, headers, body, options, signal);
    if (answer.location === undefined) return answer;
    if (hop >= maxRedirects) return { status: answer.status, body: "", error: `more than ${maxRedirects} redirects` };
    let next: URL;
    try {
      next = new URL(answer.location, url);
    } catch {
      return { status: answer.status, body: "", error: "a redirect to an invalid URL" };
    }
    if (next.protocol !== "http:" && next.protocol !== "https:") return { status: answer.status, body: "", error: `a redirect to a ${next.protocol} URL` };
    url = next;
  }
}

function postOnce(url: URL, headers: Record<string, string>, body: string, options: PostOptions, signal: AbortSignal): Promise<PostResult & { location?: string }> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (result: PostResult & { location?: string }) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (error: unknown, status = 0) => done({ status, body: "", error: describe(error, options.timeoutMs, signal) });
    const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
    if (isIP(host)) {
      const why = options.checkAddress(host);
      if (why) return done({ status: 0, body: "", error: `address refused: ${why}` });
    }
    const request = (url.protocol === "https:" ? https : http).request(
      url,
      {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": "raworc-webhooks/1" },
        lookup: checkedLookup(options.checkAddress),
        signal,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const location = response.headers.location;
        if (status >= 300 && status < 400 && location) {
          response.resume();
          return done({ status, body: "", error: "", location });
        }
        const chunks: Buffer[] = [];
        let kept = 0;
        response.on("data", (chunk: Buffer) => {
          if (kept < keptBodyBytes) {
            chunks.push(chunk.subarray(0, keptBodyBytes - kept));
            kept += Math.min(chunk.length, keptBodyBytes - kept);
          }
          // Nothing more is needed: the answer is the status, and the start of the body says enough.
          if (kept >= keptBodyBytes) response.destroy();
        });
        const finish = () => done({ status, body: Buffer.concat(chunks).toString("utf8"), error: "" });
        response.on("end", finish);
        response.on("close", finish);
        response.on("error", (error) => (kept >= keptBodyBytes ? finish() : fail(error, status)));
      },
    );
    request.on("error", (error) => fail(error));
    request.end(body);
  });
}

function describe(error: unknown, timeoutMs: number, signal: AbortSignal): string {
  if (signal.aborted) return `timed out after ${timeoutMs} ms`;
  const err = error as NodeJS.ErrnoException;
  if (err.code === "EADDRREFUSED") return err.message;
  return err.code ? `${err.code}: ${err.message}` : String(err.message ?? err);
}
