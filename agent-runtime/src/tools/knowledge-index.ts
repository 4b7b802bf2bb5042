/**
 * The index behind knowledge_search: the text files of an agent's knowledge sources, cut into
 * overlapping chunks of lines with their term statistics. Files are indexed lazily, at the
 * first search that covers them, and indexed again only when their mtime or size changed, so
 * repeated searches cost a walk and a stat per file. Sources are confined to the workspace like
 * every file tool (real paths; symlinks are never followed; `.raworc/` is off limits).
 */
import { readFile, stat } from "node:fs/promises";
import { matchesGlob } from "node:path";
import type { KnowledgeSource } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { termStats, type TermStats } from "./bm25.js";
import { walkWorkspace } from "./walk-workspace.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** Lines per chunk. */
const chunkLines = 20;
/** Lines from one chunk's start to the next's: chunks overlap so a passage is never cut in two. */
const chunkStride = 15;
/** Directories never searched. */
const skippedDirs: ReadonlySet<string> = new Set([".git", "node_modules"]);

/** One chunk of a file. */
export interface KnowledgeChunk extends TermStats {
  /** The file, relative to the workspace. */
  readonly path: string;
  /** First line, from 1. */
  readonly startLine: number;
  /** Last line, inclusive. */
  readonly endLine: number;
  /** The chunk's lines. */
  readonly lines: readonly string[];
}

/** Options of the index. */
export interface KnowledgeIndexOptions {
  /** Larger files are skipped, in bytes; default 1 MiB. */
  readonly maxFileBytes?: number;
  /** Most files one search covers; default 10000. */
  readonly maxFiles?: number;
}

/** What a search covered. */
export interface KnowledgeCorpus {
  readonly chunks: readonly KnowledgeChunk[];
  /** Sources that do not exist (yet). */
  readonly missing: readonly string[];
  /** Whether the file limit cut the walk short. */
  readonly truncated: boolean;
}

interface IndexedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly chunks: readonly KnowledgeChunk[];
}

/** Whether a file (path relative to its source) is included by the source's globs; a glob without "/" also matches the base name. */
export function includedBy(include: readonly string[], relativeToSource: string): boolean {
  if (include.length === 0) return true;
  const base = relativeToSource.slice(relativeToSource.lastIndexOf("/") + 1);
  return include.some((glob) => matchesGlob(relativeToSource, glob) || (!glob.includes("/") && matchesGlob(base, glob)));
}

/** Cuts a file's text into overlapping chunks of lines. */
export function chunkText(path: string, text: string): KnowledgeChunk[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const chunks: KnowledgeChunk[] = [];
  for (let start = 0; start < lines.length; start += chunkStride) {
    const slice = lines.slice(start, start + chunkLines);
    chunks.push({ path, startLine: start + 1, endLine: start + slice.length, lines: slice, ...termStats(slice.join("\n")) });
    if (start + chunkLines >= lines.length) break;
  }
  return chunks;
}

/** A workspace's knowledge index, shared by the agents of a session and kept across turns. */
export class KnowledgeIndex {
  private readonly files = new Map<string, IndexedFile>();
  private readonly maxFileBytes: number;
  private readonly maxFiles: number;
  /** Files (re)indexed since the index was made; tests read it to see that unchanged files are not read again. */
  indexedCount = 0;

  constructor(
    private readonly workspace: string,
    options: KnowledgeIndexOptions = {},
  ) {
    this.maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
    this.maxFiles = options.maxFiles ?? 10_000;
  }

  /** The chunks of every included file of `sources`, brought up to date. */
  async corpus(sources: readonly KnowledgeSource[], signal?: AbortSignal): Promise<KnowledgeCorpus> {
    const chunks: KnowledgeChunk[] = [];
    const missing: string[] = [];
    const seen = new Set<string>();
    let truncated = false;
    for (const source of sources) {
      const root = await resolveInWorkspace(this.workspace, source.path);
      const info = root.exists ? await stat(root.real).catch(() => undefined) : undefined;
      if (!info) {
        missing.push(source.path);
        continue;
      }
      const files = info.isDirectory()
        ? walkWorkspace(root.real, root.relative, { maxDepth: Infinity, skipNames: skippedDirs, ...(signal ? { signal } : {}) })
        : single(root.real, root.relative);
      for await (const file of files) {
        if (file.kind !== "file" || seen.has(file.absolute)) continue;
        const underSource = root.relative === "" ? file.relative : file.relative.slice(root.relative.length + 1);
        if (info.isDirectory() && !includedBy(source.include, underSource)) continue;
        if (seen.size >= this.maxFiles) {
          truncated = true;
          break;
        }
        seen.add(file.absolute);
        chunks.push(...(await this.fileChunks(file.absolute, file.relative)));
      }
    }
    // Files gone from every source are forgotten, so the index does not grow without bound.
    for (const path of this.files.keys()) if (!seen.has(path)) this.files.delete(path);
    return { chunks, missing, truncated };
  }

  private async fileChunks(absolute: string, relative: string): Promise<readonly KnowledgeChunk[]> {
    const info = await stat(absolute).catch(() => undefined);
    if (!info || info.size > this.maxFileBytes) return [];
    const cached = this.files.get(absolute);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.chunks;
    const bytes = await readFile(absolute).catch(() => undefined);
    // Binary files (a NUL early on) have no words worth ranking.
    const chunks = bytes === undefined || bytes.subarray(0, 8192).includes(0) ? [] : chunkText(relative, bytes.toString("utf8"));
    this.files.set(absolute, { mtimeMs: info.mtimeMs, size: info.size, chunks });
    this.indexedCount++;
    return chunks;
  }
}

async function* single(absolute: string, relative: string): AsyncGenerator<{ relative: string; absolute: string; kind: "file" }> {
  yield await Promise.resolve({ relative, absolute, kind: "file" as const });
}
