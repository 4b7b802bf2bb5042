/**
 * read_file: returns a text file of the workspace, whole or a range of lines, refusing files
 * over a size cap and binary files.
 */
import { open } from "node:fs/promises";

import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalInt, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** Options of read_file. */
export interface ReadFileOptions {
  /** Largest file read at all, in bytes; default 10 MiB. */
  readonly maxFileBytes?: number;
}

/** Creates the read_file tool. */
export function createReadFileTool(options: ReadFileOptions = {}): Tool {
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  return {
    name: "read_file",
    description:
      "Read a text file in the workspace. Optionally pass offset (first line, 1-based) and limit (number of lines).",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Path relative to the workspace." },
        offset: { type: "integer", minimum: 1, description: "First line to return (1-based)." },
        limit: { type: "integer", minimum: 1, description: "How many lines to return." },
      },
      required: ["path"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const path = requiredString(a, "path");
        const offset = optionalInt(a, "offset", 1, Number.MAX_SAFE_INTEGER) ?? 1;
        const limit = optionalInt(a, "limit", 1, Number.MAX_SAFE_INTEGER);
        const target = await resolveInWorkspace(ctx.workspace, path);
        const handle = await open(target.real, "r");
        let bytes: Buffer;
        try {
          const info = await handle.stat();
          if (!info.isFile()) throw new ToolInputError(`${path} is not a regular file`);
          if (info.size > maxFileBytes) {
            throw new ToolInputError(`${path} is ${info.size} bytes, over the ${maxFileBytes}-byte read limit`);
          }
          bytes = await handle.readFile({ signal: ctx.signal });
        } finally {
          await handle.close();
        }
        if (bytes.subarray(0, 8192).includes(0)) throw new ToolInputError(`${path} looks binary (it holds NUL bytes)`);
        const text = bytes.toString("utf8");
        if (offset === 1 && limit === undefined) return textResult(ctx, text);
        const lines = text.split("\n");
        if (offset > lines.length) throw new ToolInputError(`offset ${offset} is past the end (${lines.length} lines)`);
        return textResult(ctx, lines.slice(offset - 1, limit === undefined ? undefined : offset - 1 + limit).join("\n"));
      }),
  };
}
