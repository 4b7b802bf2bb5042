/**
 * Helpers of the tools' tests: a temporary workspace beside an "outside" directory, and a
 * context with small limits.
 */
import { mkdir, mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import type { ToolContext, ToolLimits } from "./tool.js";

/** A workspace `<tmp>/ws`, a look-alike `<tmp>/ws-evil` and a directory `<tmp>/outside`. */
export interface TempWorkspace {
  /** The temporary directory holding all three. */
  readonly base: string;
  /** The workspace. */
  readonly ws: string;
  /** A sibling whose name starts with the workspace's. */
  readonly evil: string;
  /** A directory outside the workspace. */
  readonly outside: string;
  /** Removes everything. */
  dispose(): Promise<void>;
}

/** Creates a fresh temporary workspace. */
export async function tempWorkspace(): Promise<TempWorkspace> {
  const base = await realpath(await mkdtemp(join(tmpdir(), "raworc-tools-")));
  const ws = join(base, "ws");
  const evil = join(base, "ws-evil");
  const outside = join(base, "outside");
  await Promise.all([mkdir(ws), mkdir(evil), mkdir(outside)]);
  return { base, ws, evil, outside, dispose: () => rm(base, { recursive: true, force: true }) };
}

/** A tool context over `workspace`. */
export function toolContext(workspace: string, limits: Partial<ToolLimits> = {}, signal?: AbortSignal): ToolContext {
  return {
    workspace,
    signal: signal ?? new AbortController().signal,
    limits: { timeoutMs: limits.timeoutMs ?? 10_000, maxOutputBytes: limits.maxOutputBytes ?? 64 * 1024 },
  };
}
