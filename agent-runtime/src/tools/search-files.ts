/**
 * search_files: lexical search of the workspace's text files, by literal text or an RE2
 * pattern (linear time, so a model's pattern cannot hang the daemon), line by line, with caps
 * on matches, file size and line length. Symlinks, `.git/` and `.raworc/` are skipped.
 */
import { readFile, stat } from "node:fs/promises";

import { RE2JS } from "@bufbuild/re2";

import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalBoolean, optionalInt, optionalString, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";
import { walkWorkspace } from "./walk-workspace.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** Options of search_files. */
export interface SearchFilesOptions {
  /** Most matching lines returned; default 500. */
  readonly maxResults?: number;
  /** Files larger than this are skipped, in bytes; default 1 MiB. */
  readonly maxFileBytes?: number;
  /** Most files examined; default 20000. */
  readonly maxFiles?: number;
  /** Longest line shown, in characters; default 300. */
  readonly maxLineChars?: number;
}

const SKIPPED_DIRS: ReadonlySet<string> = new Set([".git"]);

/** Creates the search_files tool. */
export function createSearchFilesTool(options: SearchFilesOptions = {}): Tool {
  const maxResults = options.maxResults ?? 500;
  const maxFileBytes = options.maxFileBytes ?? 1024 * 1024;
  const maxFiles = options.maxFiles ?? 20_000;
  const maxLineChars = options.maxLineChars ?? 300;
  return {
    name: "search_files",
    description:
      "Search text files in the workspace for a literal string, or an RE2 regular expression with regex=true; prints path:line: text.",
    parameters: {
      type: "object",
      properties: {
        pattern: { type: "string", description: "Text (or RE2 pattern) to find." },
        path: { type: "string", description: "File or directory to search; default the workspace root." },
        regex: { type: "boolean", description: "Treat pattern as an RE2 regular expression." },
        case_insensitive: { type: "boolean" },
        max_results: { type: "integer", minimum: 1, maximum: maxResults },
      },
      required: ["pattern"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const pattern = requiredString(a, "pattern");
        if (pattern === "") throw new ToolInputError("pattern is empty");
        const test = compileMatcher(pattern, optionalBoolean(a, "regex") ?? false, optionalBoolean(a, "case_insensitive") ?? false);
        const limit = optionalInt(a, "max_results", 1, maxResults) ?? maxResults;
        const target = await resolveInWorkspace(ctx.workspace, optionalString(a, "path") ?? ".");
        const files = (await stat(target.real)).isDirectory()
          ? walkWorkspace(target.real, target.relative, { maxDepth: Infinity, skipNames: SKIPPED_DIRS, signal: ctx.signal })
          : single(target.real, target.relative);
        const hits: string[] = [];
        let examined = 0;
        let stopped: string | undefined;
        for await (const file of files) {
          if (file.kind !== "file") continue;
          if (++examined > maxFiles) {
            stopped = `[search stopped after ${maxFiles} files]`;
            break;
          }
          const info = await stat(file.absolute).catch(() => undefined);
          if (info === undefined || info.size > maxFileBytes) continue;
          const bytes = await readFile(file.absolute).catch(() => undefined);
          if (bytes === undefined || bytes.subarray(0, 8192).includes(0)) continue;
          const lines = bytes.toString("utf8").split("\n");
          for (let i = 0; i < lines.length && stopped === undefined; i++) {
            const line = lines[i] ?? "";
            if (!test(line)) continue;
            if (hits.length === limit) stopped = `[search stopped at ${limit} matches]`;
            else hits.push(`${file.relative}:${i + 1}: ${line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line}`);
          }
          if (stopped !== undefined) break;
        }
        if (hits.length === 0 && stopped === undefined) return textResult(ctx, "no matches");
        if (stopped !== undefined) hits.push(stopped);
        const result = textResult(ctx, hits.join("\n"));
        return stopped === undefined ? result : { ...result, truncated: true };
      }),
  };
}

function compileMatcher(pattern: string, regex: boolean, caseInsensitive: boolean): (line: string) => boolean {
  if (!regex && !caseInsensitive) return (line) => line.includes(pattern);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(regex ? pattern : RE2JS.quote(pattern), caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (error) {
    throw new ToolInputError(`pattern is not valid RE2: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (line) => compiled.test(line);
}

async function* single(absolute: string, relative: string): AsyncGenerator<{ relative: string; absolute: string; kind: "file" }> {
  yield await Promise.resolve({ relative, absolute, kind: "file" as const });
}
