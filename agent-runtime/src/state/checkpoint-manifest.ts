/**
 * A turn checkpoint's manifest: every directory, regular file and symbolic link of the workspace
 * (`.raworc/` excluded) at the end of a turn, sorted by path. A file names its content by the
 * sha256 of the bytes (the object in the store) and keeps the stat fields that let the next
 * checkpoint reuse the hash of a file that did not change. The manifest's id is the sha256 of its
 * canonical JSON, so an id names one exact state and a damaged manifest is detected on read.
 */
import { createHash } from "node:crypto";
import { z } from "zod";

/** A regular file: its content is object `hash`. */
export interface FileEntry {
  readonly type: "file";
  /** Workspace-relative, "/"-separated. */
  readonly path: string;
  readonly hash: string;
  /** Permission bits (mode & 0o7777). */
  readonly mode: number;
  readonly size: number;
  /** Nanosecond mtime, ctime and the inode when hashed (decimal): a file with all of them unchanged is not read again. */
  readonly mtimeNs: string;
  readonly ctimeNs: string;
  readonly ino: string;
}

/** A symbolic link, kept as its target text (never followed). */
export interface LinkEntry {
  readonly type: "link";
  readonly path: string;
  readonly target: string;
}

/** A directory (kept so empty directories and directory modes come back). */
export interface DirEntry {
  readonly type: "dir";
  readonly path: string;
  readonly mode: number;
}

/** One path of a manifest. */
export type ManifestEntry = FileEntry | LinkEntry | DirEntry;

/** The workspace at the end of one turn. */
export interface Manifest {
  readonly version: 1;
  readonly turn: number;
  /** Sorted by path (code-unit order), each path once. */
  readonly entries: readonly ManifestEntry[];
}

const hashPattern = /^[0-9a-f]{64}$/;
const decimal = z.string().regex(/^\d{1,30}$/);
const relativePath = z
  .string()
  .min(1)
  .refine((path) => !path.startsWith("/") && !path.split("/").some((part) => part === "" || part === "." || part === ".."), "not a plain relative path");
const manifestSchema = z.object({
  version: z.literal(1),
  turn: z.number().int().min(0),
  entries: z.array(
    z.discriminatedUnion("type", [
      z.object({
        type: z.literal("file"),
        path: relativePath,
        hash: z.string().regex(hashPattern),
        mode: z.number().int().min(0).max(0o7777),
        size: z.number().int().min(0),
        mtimeNs: decimal,
        ctimeNs: decimal,
        ino: decimal,
      }),
      z.object({ type: z.literal("link"), path: relativePath, target: z.string() }),
      z.object({ type: z.literal("dir"), path: relativePath, mode: z.number().int().min(0).max(0o7777) }),
    ]),
  ),
});

/** Whether `id` has the shape of an object or manifest id (64 lowercase hex digits). */
export function isContentId(id: string): boolean {
  return hashPattern.test(id);
}

/** The canonical bytes of a manifest (what its id hashes). */
export function encodeManifest(manifest: Manifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest)}\n`);
}

/** The sha256 (hex) of some bytes. */
export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Parses manifest bytes read for `id`; undefined when they do not hash to `id` or do not parse. */
export function decodeManifest(data: Buffer, id: string): Manifest | undefined {
  if (sha256(data) !== id) return undefined;
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(data.toString("utf8")));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Totals of a manifest: regular files and their bytes. */
export function manifestTotals(manifest: Manifest): { fileCount: number; totalBytes: number } {
  let fileCount = 0;
  let totalBytes = 0;
  for (const entry of manifest.entries) {
    if (entry.type !== "file") continue;
    fileCount++;
    totalBytes += entry.size;
  }
  return { fileCount, totalBytes };
}
