/** Runs the installed `raworc` command as a child process, as a user would, for end-to-end tests. */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The `raworc` that `npm install` links into the root node_modules/.bin. */
export const raworcBin = fileURLToPath(new URL("../../../node_modules/.bin/raworc", import.meta.url));

/** How a finished run ended. */
export interface RaworcResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runRaworc}. */
export interface RaworcOptions {
  /** Extra environment (RAWORC_CONFIG above all); the rest is inherited minus RAWORC_* variables. */
  readonly env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; stdin is always closed so nothing waits on it. */
  readonly input?: string;
}

/** Spawns `raworc args...`; stdin gets `input` (or nothing) and is closed. */
export function spawnRaworc(args: readonly string[], options: RaworcOptions = {}): ChildProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RAWORC_")));
  const child = spawn(raworcBin, args, { env: { ...inherited, ...options.env }, stdio: ["pipe", "pipe", "pipe"] });
  child.stdin?.end(options.input ?? "");
  return child;
}

/** Runs `raworc args...` to completion and collects its output. */
export function runRaworc(args: readonly string[], options: RaworcOptions = {}): Promise<RaworcResult> {
  const child = spawnRaworc(args, options);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
