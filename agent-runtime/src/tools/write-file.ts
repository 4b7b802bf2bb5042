/**
 * write_file: creates or replaces a file in the workspace atomically, creating its parent
 * directories (inside the workspace only).
 */
import { stat } from "node:fs/promises";

import { writeFileAtomic } from "./atomic-write.js";
import { runTool, textResult } from "./run-tool.js";
import { argsObject, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** Options of write_file. */
export interface WriteFileOptions {
  /** Largest content written, in UTF-8 bytes; default 10 MiB. */
  readonly maxFileBytes?: number;
}

/** Creates the write_file tool. */
export function createWriteFileTool(options: WriteFileOptions = {}): Tool {
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  return {
    name: "write_file",
    description: "Create or replace a file in the workspace with the given content; parent directories are created.",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Path relative to the workspace." },
        content: { type: "string", description: "The file's full new content." },
      },
      required: ["path", "content"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const path = requiredString(a, "path");
        const content = requiredString(a, "content");
        const size = Buffer.byteLength(content, "utf8");
        if (size > maxFileBytes) throw new ToolInputError(`content is ${size} bytes, over the ${maxFileBytes}-byte limit`);
        const target = await resolveInWorkspace(ctx.workspace, path);
        if (target.relative === "") throw new ToolInputError("path is the workspace itself");
        if (target.exists && !(await stat(target.real)).isFile()) throw new ToolInputError(`${path} is not a regular file`);
        await writeFileAtomic(target.real, content, ctx.signal);
        return textResult(ctx, `wrote ${size} bytes to ${target.relative}`);
      }),
  };
}
