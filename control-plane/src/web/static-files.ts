/**
 * Serves a fixed set of files (URL path → file on disk, or bytes in memory): each read once and
 * kept with its gzip form, sent with its type, an ETag, and the caller's security headers.
 * Only listed paths answer, so no URL can reach another file.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { gzipSync } from "node:zlib";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";

type NodeHandler = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** One file to serve. */
export interface StaticFile {
  /** Where the bytes come from. */
  readonly source: { readonly path: string } | { readonly bytes: Buffer | string };
  /** Cache-Control: "immutable" for content-hashed names, "revalidate" for the rest. */
  readonly cache: "immutable" | "revalidate";
  /** Extra response headers (security policy). */
  readonly headers?: Readonly<Record<string, string>>;
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".yaml": "application/yaml; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** Headers every static answer carries: no sniffing, no referrer leaks, no framing. */
export const baseSecurityHeaders = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
} as const;

interface Loaded {
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly etag: string;
}

/** Answers GET and HEAD for the listed paths; false (untouched response) for any other request. */
export function staticFiles(files: ReadonlyMap<string, StaticFile>) {
  const cache = new Map<string, Promise<Loaded>>();
  const load = (path: string, file: StaticFile): Promise<Loaded> => {
    let loaded = cache.get(path);
    if (!loaded) {
      loaded = (async () => {
        const body = "path" in file.source ? await readFile(file.source.path) : Buffer.from(file.source.bytes);
        const compressible = /^(text\/|application\/(json|yaml)|image\/svg)/.test(typeOf(path));
        const gzip = compressible && body.length > 1024 ? gzipSync(body) : undefined;
        return { body, gzip, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
      })();
      loaded.catch(() => cache.delete(path)); // a missing file may appear later (a build after start)
      cache.set(path, loaded);
    }
    return loaded;
  };
  return (req: Parameters<NodeHandler>[0], res: Parameters<NodeHandler>[1], path: string): boolean => {
    const file = files.get(path);
    if (!file || (req.method !== "GET" && req.method !== "HEAD")) return false;
    load(path, file).then(
      (loaded) => {
        const headers: Record<string, string> = {
          ...baseSecurityHeaders,
          ...file.headers,
          "content-type": typeOf(path),
          etag: loaded.etag,
          "cache-control": file.cache === "immutable" ? "public, max-age=31536000, immutable" : "no-cache",
          vary: "Accept-Encoding",
        };
        if (req.headers["if-none-match"] === loaded.etag) {
          res.writeHead(304, headers);
          res.end();
          return;
        }
        const gzip = loaded.gzip && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
        const body = gzip ? loaded.gzip : loaded.body;
        if (gzip) headers["content-encoding"] = "gzip";
        headers["content-length"] = String(body.length);
        res.writeHead(200, headers);
        if (req.method === "HEAD") res.end();
        else res.end(body);
      },
      () => {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
        res.end("not found\n");
      },
    );
    return true;
  };
}

function typeOf(path: string): string {
  return types[extname(path)] ?? (path.endsWith("/") ? types[".html"]! : "application/octet-stream");
}
