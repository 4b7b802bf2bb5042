/**
 * Opaque page tokens for keyset pagination: the sort key of the last item returned, so pages
 * stay consistent while rows are inserted or deleted between calls.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** Default and maximum page sizes. */
export const pageSizes = { default: 100, max: 1000 } as const;

/** Encodes the sort key of the last item of a page. */
export function encodePageToken(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a page token into its sort key, or throws INVALID_ARGUMENT. Empty means the first page. */
export function decodePageToken(token: string, arity: number): string[] | undefined {
  if (token === "") return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (Array.isArray(key) && key.length === arity && key.every((k) => typeof k === "string")) return key;
  } catch {
    // fall through to the error below
  }
  throw new ConnectError("invalid page_token", Code.InvalidArgument);
}

/** The effective page size for a requested one (0 means the default). */
export function effectivePageSize(requested: number): number {
  return requested <= 0 ? pageSizes.default : Math.min(requested, pageSizes.max);
}
