/**
 * list_files: lists a workspace directory recursively, one path per line (directories end in
 * "/", symlinks in "@"), with depth and count caps; `.raworc/` is never listed.
 */
import { stat } from "node:fs/promises";

import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalInt, optionalString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";
import { walkWorkspace } from "./walk-workspace.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** Options of list_files. */
export interface ListFilesOptions {
  /** Depth when the call sets none; default 3. */
  readonly defaultDepth?: number;
  /** Deepest depth a call may ask for; default 20. */
  readonly maxDepth?: number;
  /** Most entries listed; default 2000. */
  readonly maxEntries?: number;
}

/** Creates the list_files tool. */
export function createListFilesTool(options: ListFilesOptions = {}): Tool {
  const maxDepth = options.maxDepth ?? 20;
  const defaultDepth = Math.min(options.defaultDepth ?? 3, maxDepth);
  const maxEntries = options.maxEntries ?? 2000;
  return {
    name: "list_files",
    description: `List files under a workspace directory (default: the root), recursively to depth (default ${defaultDepth}).`,
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Directory relative to the workspace; default the root." },
        depth: { type: "integer", minimum: 1, maximum: maxDepth, description: "How many levels to descend." },
      },
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const path = optionalString(a, "path") ?? ".";
        const depth = optionalInt(a, "depth", 1, maxDepth) ?? defaultDepth;
        const target = await resolveInWorkspace(ctx.workspace, path);
        if (!(await stat(target.real)).isDirectory()) throw new ToolInputError(`${path} is not a directory`);
        const lines: string[] = [];
        let more = false;
        for await (const entry of walkWorkspace(target.real, target.relative, { maxDepth: depth, signal: ctx.signal })) {
          if (lines.length === maxEntries) {
            more = true;
            break;
          }
          const suffix = entry.kind === "directory" ? "/" : entry.kind === "symlink" ? "@" : "";
          lines.push(entry.relative + suffix);
        }
        if (lines.length === 0) return textResult(ctx, "(empty)");
        if (more) lines.push(`[listing stopped at ${maxEntries} entries]`);
        const result = textResult(ctx, lines.join("\n"));
        return more ? { ...result, truncated: true } : result;
      }),
  };
}
