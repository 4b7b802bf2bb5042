/**
 * The one place a tool's thrown errors become results: bad arguments and failed file
 * operations are errors the model can act on, refusals are refusals, and cancellation wins.
 */
import { capText } from "./output-cap.js";
import { ToolInputError, ToolRefusedError } from "../errors.js";
import type { ToolContext, ToolResult } from "./tool.js";

/** Runs `body` and turns what it throws into a ToolResult (capped like any output). */
export async function runTool(ctx: ToolContext, body: () => Promise<ToolResult>): Promise<ToolResult> {
  if (ctx.signal.aborted) return { output: "cancelled", status: "cancelled", truncated: false };
  try {
    return await body();
  } catch (error) {
    if (ctx.signal.aborted) return { output: "cancelled", status: "cancelled", truncated: false };
    const status = error instanceof ToolRefusedError ? "refused" : "error";
    return { ...capText(describe(error), ctx.limits.maxOutputBytes), status };
  }
}

/** A ToolResult carrying `text`, capped at the call's output limit. */
export function textResult(ctx: ToolContext, text: string, status: ToolResult["status"] = "ok"): ToolResult {
  return { ...capText(text, ctx.limits.maxOutputBytes), status };
}

function describe(error: unknown): string {
  if (error instanceof ToolInputError || error instanceof ToolRefusedError) return error.message;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Node's fs messages name the absolute path; the model only needs the kind of failure.
  if (typeof code === "string") return FS_MESSAGES[code] ?? `file operation failed (${code})`;
  return error instanceof Error ? error.message : String(error);
}

const FS_MESSAGES: Record<string, string> = {
  ENOENT: "no such file or directory",
  EISDIR: "is a directory",
  ENOTDIR: "not a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "already exists",
  ENOTEMPTY: "directory not empty",
  ELOOP: "too many levels of symbolic links",
};
