/**
 * A stand-in *process* for runtime tests of process supervision (spawn, signals, exit codes,
 * process groups, adoption): it takes the daemon's command line but speaks no protocol at all,
 * so it tests how the runtime manages processes, never what raworc-agent does.
 *
 * Run by Node.js directly (type stripping, so nothing but node: imports), it reads what to do
 * from `<workspace>/.sleeper.json` and writes `<workspace>/.sleeper-ready` ({ pid, grandchildPid })
 * once its signal handlers are installed, then sleeps until told otherwise. Tests drive it
 * through sleeper-control.ts.
 */
import { spawn } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

interface SleeperBehaviour {
  readonly exitCode?: number;
  readonly exitAfterMs?: number;
  readonly ignoreSigterm?: boolean;
  readonly grandchild?: boolean;
  readonly stdoutBytes?: number;
}

function argument(name: string): string {
  const at = process.argv.indexOf(name);
  const value = at >= 0 ? process.argv[at + 1] : undefined;
  if (value === undefined) throw new Error(`sleeper: missing ${name}`);
  return value;
}

function readBehaviour(workspace: string): SleeperBehaviour {
  try {
    return JSON.parse(readFileSync(join(workspace, ".sleeper.json"), "utf8")) as SleeperBehaviour;
  } catch {
    return {};
  }
}

function main(): void {
  const workspace = argument("--workspace");
  argument("--session-id");
  argument("--control-plane");
  const behaviour = readBehaviour(workspace);
  process.on("SIGTERM", () => {
    process.stdout.write(`sleeper ${process.pid}: SIGTERM, ${behaviour.ignoreSigterm ? "ignored" : "exiting"}\n`);
    if (!behaviour.ignoreSigterm) process.exit(0);
  });
  let grandchildPid: number | undefined;
  if (behaviour.grandchild) {
    const child = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 60_000);"], { stdio: "ignore" });
    grandchildPid = child.pid;
  }
  if (behaviour.stdoutBytes) process.stdout.write(`${"x".repeat(behaviour.stdoutBytes - 1)}\n`);
  process.stdout.write(`sleeper ${process.pid}: started in ${process.cwd()}\n`);
  if (behaviour.exitCode !== undefined) setTimeout(() => process.exit(behaviour.exitCode), behaviour.exitAfterMs ?? 0);
  setInterval(() => undefined, 60_000);
  // Renamed into place, so the test never reads half of it.
  writeFileSync(join(workspace, ".sleeper-ready.tmp"), JSON.stringify({ pid: process.pid, grandchildPid }));
  renameSync(join(workspace, ".sleeper-ready.tmp"), join(workspace, ".sleeper-ready"));
}

main();
