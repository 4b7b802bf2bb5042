/**
 * edit_file: exact-string replacements in a workspace file. Each edit's old text must occur
 * exactly once (or replace_all must be set); a list of edits applies in order and all or none,
 * and the file is replaced atomically.
 */
import { readFile, stat } from "node:fs/promises";

import { writeFileAtomic } from "./atomic-write.js";
import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalBoolean, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";
import { resolveInWorkspace } from "./workspace-path.js";

/** One replacement. */
export interface TextEdit {
  /** The exact text to find. */
  readonly oldString: string;
  /** Its replacement. */
  readonly newString: string;
  /** Replace every occurrence instead of requiring exactly one. */
  readonly replaceAll: boolean;
}

/** Options of edit_file. */
export interface EditFileOptions {
  /** Largest file edited, in bytes; default 10 MiB. */
  readonly maxFileBytes?: number;
}

const EDIT_SCHEMA = {
  type: "object",
  properties: {
    old_string: { type: "string", description: "Exact text to replace." },
    new_string: { type: "string", description: "Replacement text." },
    replace_all: { type: "boolean", description: "Replace every occurrence (default: exactly one must exist)." },
  },
  required: ["old_string", "new_string"],
  additionalProperties: false,
} as const;

/** Creates the edit_file tool. */
export function createEditFileTool(options: EditFileOptions = {}): Tool {
  const maxFileBytes = options.maxFileBytes ?? 10 * 1024 * 1024;
  return {
    name: "edit_file",
    description:
      "Replace exact text in a workspace file: pass old_string/new_string, or edits (a list applied in order, all or none).",
    parameters: {
      type: "object",
      properties: {
        path: { type: "string", description: "Path relative to the workspace." },
        ...EDIT_SCHEMA.properties,
        edits: { type: "array", items: EDIT_SCHEMA, minItems: 1, maxItems: 100 },
      },
      required: ["path"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const path = requiredString(a, "path");
        const edits = parseEdits(a);
        const target = await resolveInWorkspace(ctx.workspace, path);
        const info = await stat(target.real);
        if (!info.isFile()) throw new ToolInputError(`${path} is not a regular file`);
        if (info.size > maxFileBytes) throw new ToolInputError(`${path} is over the ${maxFileBytes}-byte edit limit`);
        const before = await readFile(target.real, "utf8");
        const { text, replacements } = applyEdits(before, edits);
        await writeFileAtomic(target.real, text, ctx.signal);
        return textResult(ctx, `edited ${target.relative}: ${replacements} replacement(s)`);
      }),
  };
}

/** Applies `edits` in order to `text`; throws ToolInputError (and changes nothing) when one does not apply. */
export function applyEdits(text: string, edits: readonly TextEdit[]): { text: string; replacements: number } {
  let current = text;
  let replacements = 0;
  edits.forEach((edit, index) => {
    const label = edits.length > 1 ? `edit ${index + 1}: ` : "";
    if (edit.oldString === "") throw new ToolInputError(`${label}old_string is empty`);
    if (edit.oldString === edit.newString) throw new ToolInputError(`${label}old_string and new_string are the same`);
    const count = current.split(edit.oldString).length - 1;
    if (count === 0) throw new ToolInputError(`${label}old_string was not found`);
    if (count > 1 && !edit.replaceAll) {
      throw new ToolInputError(`${label}old_string occurs ${count} times; add context to make it unique or set replace_all`);
    }
    // split/join rather than String.replace, whose replacement string interprets "$&" and friends.
    current = current.split(edit.oldString).join(edit.newString);
    replacements += count;
  });
  return { text: current, replacements };
}

function parseEdits(a: Record<string, unknown>): TextEdit[] {
  const list = a.edits;
  const single = a.old_string !== undefined || a.new_string !== undefined;
  if (list !== undefined && single) throw new ToolInputError("pass either old_string/new_string or edits, not both");
  if (list === undefined) return [parseEdit(a)];
  if (!Array.isArray(list) || list.length === 0) throw new ToolInputError('"edits" must be a non-empty array');
  if (list.length > 100) throw new ToolInputError('"edits" holds more than 100 edits');
  return list.map((item) => parseEdit(argsObject(item)));
}

function parseEdit(a: Record<string, unknown>): TextEdit {
  return {
    oldString: requiredString(a, "old_string"),
    newString: requiredString(a, "new_string"),
    replaceAll: optionalBoolean(a, "replace_all") ?? false,
  };
}
