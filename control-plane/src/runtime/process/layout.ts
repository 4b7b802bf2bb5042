/**
 * Where the process runtime keeps each session under the data directory:
 * `<dataDir>/sessions/<id>/{workspace/, daemon.log, daemon.pid, daemon.exit}`.
 */
import { join, resolve } from "node:path";

// Session ids become directory names, so anything that could climb out of sessions/ is refused.
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The files of one session. */
export interface SessionPaths {
  /** `<dataDir>/sessions/<id>`: removed as a whole by destroy. */
  readonly dir: string;
  /** The volume: the daemon's working directory. */
  readonly workspace: string;
  /** The daemon's stdout and stderr. */
  readonly log: string;
  /** The running daemon's pid and start time. */
  readonly pidFile: string;
  /** How the daemon last exited, when it exited on its own. */
  readonly exitFile: string;
}

/** The directory that holds every session of the process runtime. */
export function sessionsRoot(dataDir: string): string {
  return join(resolve(dataDir), "sessions");
}

/** Whether a directory name under sessions/ can be a session id. */
export function isSessionId(name: string): boolean {
  return SESSION_ID.test(name);
}

/** The paths of one session; throws on an id that is not a plain name. */
export function sessionPaths(dataDir: string, sessionId: string): SessionPaths {
  if (!isSessionId(sessionId)) throw new Error(`invalid session id ${JSON.stringify(sessionId)}: expected letters, digits, "-" or "_"`);
  const dir = join(sessionsRoot(dataDir), sessionId);
  return {
    dir,
    workspace: join(dir, "workspace"),
    log: join(dir, "daemon.log"),
    pidFile: join(dir, "daemon.pid"),
    exitFile: join(dir, "daemon.exit"),
  };
}
