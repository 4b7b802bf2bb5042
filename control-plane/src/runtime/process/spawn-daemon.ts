/**
 * Spawning one session's `raworc-agent`: `node <entry> --control-plane URL --session-id ID
 * --workspace DIR`, in the volume, in a process group of its own, with a minimal environment
 * in which the session token is the only secret; or a warm one with no session at all.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync } from "node:fs";
import { daemonEnv, daemonFlags } from "@raworc/contract";
import type { SessionLaunch } from "../session-runtime.js";
import { openDaemonLogSync } from "./daemon-log.js";
import type { SessionPaths } from "./layout.js";

/** How daemons are run. */
export interface DaemonCommand {
  /** The Node.js executable. */
  readonly node: string;
  /** The daemon's entry script. */
  readonly entry: string;
  /** Extra environment variables for every daemon (applied before the token, which they cannot replace). */
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Node flags of every daemon. An idle daemon allocates little, so the young generation's
 * semi-spaces (up to 16 MB each by default, and never given back) are capped at 1 MB: measured
 * 103 → 90 MB RSS for an attached idle daemon, at the price of more (tiny) scavenges under load.
 */
export const daemonNodeFlags: readonly string[] = ["--max-semi-space-size=1"];

// The server's environment holds its own secrets (RAWORC_*, database URLs, cloud credentials);
// a daemon runs agent-chosen tools, so it gets only what a process needs to run at all.
const INHERITED = ["PATH", "LANG", "LC_ALL", "TZ"] as const;
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

/** A daemon's environment without any session: a few locale and path variables, HOME, and the extras. */
function baseEnvironment(command: DaemonCommand, home: string): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  for (const name of INHERITED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = home;
  Object.assign(env, command.env);
  return env;
}

/** The daemon's complete environment: a few locale and path variables, HOME in the volume, extras, and the token. */
export function daemonEnvironment(command: DaemonCommand, workspace: string, token: string): Record<string, string> {
  // HOME is in the volume, as in a container: what tools keep there survives a pause and is remixed with the files.
  const env = baseEnvironment(command, workspace);
  env[daemonEnv.sessionToken] = token;
  return env;
}

/**
 * Starts the daemon detached (setsid: it leads its own process group and session, so neither a
 * control-plane restart nor a terminal's signals reach it) with stdout and stderr appended to
 * the session's log; the returned child has a pid unless the spawn failed, and then emits "error".
 */
export function spawnDaemon(command: DaemonCommand, paths: SessionPaths, launch: SessionLaunch): ChildProcess {
  const log = openDaemonLogSync(paths.log);
  try {
    const args = [...daemonNodeFlags, command.entry, daemonFlags.controlPlane, launch.controlPlaneUrl, daemonFlags.sessionId, launch.sessionId, daemonFlags.workspace, paths.workspace];
    return spawn(command.node, args, {
      cwd: paths.workspace,
      env: daemonEnvironment(command, paths.workspace, launch.daemonToken),
      detached: true,
      stdio: ["ignore", log, log],
    });
  } finally {
    // The child has its own copy of the descriptor.
    closeSync(log);
  }
}

/**
 * Starts a warm daemon (`--await-claim`): detached like any daemon, in the pool's directory,
 * with no session, no token and an IPC channel on which it is claimed; stdout and stderr go to
 * `log`, which becomes the session's log when it is claimed.
 */
export function spawnWarmDaemon(command: DaemonCommand, dir: string, log: string): ChildProcess {
  const fd = openDaemonLogSync(log);
  try {
    return spawn(command.node, [...daemonNodeFlags, command.entry, daemonFlags.awaitClaim], {
      cwd: dir,
      env: baseEnvironment(command, dir),
      detached: true,
      stdio: ["ignore", fd, fd, "ipc"],
      serialization: "json",
    });
  } finally {
    closeSync(fd);
  }
}
