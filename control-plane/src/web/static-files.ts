/**
 * Serves files that a lookup names (URL path → file on disk, or bytes in memory): each read
 * once and kept with its gzip form until the file changes, sent with its type, an ETag, and the
 * caller's security headers. Only paths the lookup knows answer, so no URL reaches another file.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
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

/** The file served at a URL path, or undefined when none is. */
export type StaticLookup = (path: string) => StaticFile | undefined;

interface Loaded {
  /** The file's modification time when read (0 for bytes in memory). */
  readonly mtimeMs: number;
  readonly body: Buffer;
  readonly gzip: Buffer | undefined;
  readonly etag: string;
}

/** Answers GET and HEAD for the paths `lookup` knows; false (untouched response) for any other request. */
export function staticFiles(lookup: StaticLookup) {
  const cache = new Map<string, Promise<Loaded>>();
  const read = async (path: string, file: StaticFile, mtimeMs: number): Promise<Loaded> => {
    const body = "path" in file.source ? await readFile(file.source.path) : Buffer.from(file.source.bytes);
    const compressible = /^(text\/|application\/(json|yaml)|image\/svg)/.test(typeOf(path));
    const gzip = compressible && body.length > 1024 ? gzipSync(body) : undefined;
    return { mtimeMs, body, gzip, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
  };
  // A rebuilt console replaces its files while the server runs: a changed file is read again.
  const load = async (path: string, file: StaticFile): Promise<Loaded> => {
    const mtimeMs = "path" in file.source ? (await stat(file.source.path)).mtimeMs : 0;
    const cached = cache.get(path);
    if (cached && (await cached.catch(() => undefined))?.mtimeMs === mtimeMs) return cached;
    const loaded = read(path, file, mtimeMs);
    cache.set(path, loaded);
    loaded.catch(() => cache.delete(path));
    return loaded;
  };
  return (req: Parameters<NodeHandler>[0], res: Parameters<NodeHandler>[1], path: string): boolean => {
    const file = lookup(path);
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
