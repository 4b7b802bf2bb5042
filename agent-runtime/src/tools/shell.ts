/**
 * shell: runs `bash -lc <command>` in the workspace as the leader of its own process group,
 * with a minimal environment (never the daemon's: no session token, no secrets), a time limit
 * and a cap on combined stdout/stderr. On timeout or cancel the whole group gets SIGTERM, then
 * SIGKILL after a grace period; when the command exits, whatever it left running in its group
 * is killed too, so a call never outlives its result.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

import { CappedBuffer } from "./output-cap.js";
import { runTool } from "./run-tool.js";
import { argsObject, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool, ToolResult } from "./tool.js";

/** Options of the shell tool. */
export interface ShellOptions {
  /** Variables added to the minimal environment (the agent spec's env); default none. */
  readonly env?: Readonly<Record<string, string>>;
  /** PATH of the commands; default the usual system directories. */
  readonly path?: string;
  /** Time between SIGTERM and SIGKILL of the group; default 2 seconds. */
  readonly killGraceMs?: number;
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Creates the shell tool. */
export function createShellTool(options: ShellOptions = {}): Tool {
  return {
    name: "shell",
    description: "Run a bash command in the workspace; returns its combined stdout and stderr and its exit code.",
    parameters: {
      type: "object",
      properties: { command: { type: "string", description: "The bash command line." } },
      required: ["command"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const command = requiredString(argsObject(args), "command");
        if (command.trim() === "") throw new ToolInputError("command is empty");
        if (command.includes("\0")) throw new ToolInputError("command contains a NUL byte");
        return runCommand(command, {
          cwd: ctx.workspace,
          env: shellEnv(ctx.workspace, options),
          timeoutMs: ctx.limits.timeoutMs,
          maxOutputBytes: ctx.limits.maxOutputBytes,
          killGraceMs: options.killGraceMs ?? 2000,
          signal: ctx.signal,
        });
      }),
  };
}

/** The environment of a command: only what a shell needs plus the spec's variables. */
export function shellEnv(workspace: string, options: ShellOptions): Record<string, string> {
  return {
    PATH: options.path ?? DEFAULT_PATH,
    HOME: workspace,
    LANG: "C.UTF-8",
    TERM: "dumb",
    ...options.env,
  };
}

interface RunOptions {
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  maxOutputBytes: number;
  killGraceMs: number;
  signal: AbortSignal;
}

function runCommand(command: string, o: RunOptions): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-lc", command], {
      cwd: o.cwd,
      env: o.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = new CappedBuffer(o.maxOutputBytes);
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    let stoppedBy: "timeout" | "cancelled" | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (why: "timeout" | "cancelled"): void => {
      if (stoppedBy !== undefined) return;
      stoppedBy = why;
      signalGroup(child.pid, "SIGTERM");
      killTimer = setTimeout(() => signalGroup(child.pid, "SIGKILL"), o.killGraceMs);
    };
    const timer = setTimeout(() => stop("timeout"), o.timeoutMs);
    const onAbort = (): void => stop("cancelled");
    o.signal.addEventListener("abort", onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      clearTimeout(killTimer);
      o.signal.removeEventListener("abort", onAbort);
    };
    child.once("error", (error) => {
      cleanup();
      reject(error);
    });
    child.once("exit", (code, signal) => {
      cleanup();
      // Leftovers of the group (background jobs) die with the call; they would also hold the pipes open.
      signalGroup(child.pid, "SIGKILL");
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        const exitCode = code ?? 128 + signalNumber(signal);
        const status = stoppedBy ?? (exitCode === 0 ? "ok" : "error");
        const note = stoppedBy === "timeout" ? `\n[killed after ${o.timeoutMs} ms]` : stoppedBy === "cancelled" ? "\n[cancelled]" : "";
        resolve({ output: output.text() + note, status, exitCode, truncated: output.truncated });
      };
      // A process that left the group (setsid) may still hold the pipes; do not wait for it forever.
      const drain = setTimeout(() => {
        child.stdout.destroy();
        child.stderr.destroy();
        finish();
      }, 500);
      child.once("close", () => {
        clearTimeout(drain);
        finish();
      });
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === null ? 0 : constants.signals[signal];
}
