/**
 * The `process` SessionRuntime: each session's daemon is a `raworc-agent` child process, and
 * its volume a directory, under `<dataDir>/sessions/<id>`. Daemons are detached (their own
 * process groups) and recorded in pid files with their start times, so a restarted control
 * plane adopts the ones still running and reports the others as exited; nothing runs that
 * list() does not show.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdir, rename, stat } from "node:fs/promises";
import { join } from "node:path";
import { daemonExitCodes } from "@raworc/contract";
import { pino } from "pino";
import type { Logger } from "../../logger.js";
import type { RuntimeObservation, SessionLaunch, SessionRuntime } from "../session-runtime.js";
import { rotateDaemonLog } from "./daemon-log.js";
import { bundledDaemonEntry, fixedDaemonEntry, type DaemonEntryResolver } from "./daemon-entry.js";
import { readPidRecord, removeDaemonRecords, writeExitRecordSync, writePidRecordSync } from "./daemon-record.js";
import { KeyedSerializer } from "./keyed-serializer.js";
import { isSessionId, sessionPaths, sessionsRoot, type SessionPaths } from "./layout.js";
import { describeExit, isGroupOurs, observeRecordedDaemon, type DaemonObservation } from "./observe-daemon.js";
import { isSameProcessRunning, processStatSync, type ProcessIdentity } from "./process-identity.js";
import { signalGroup, terminateGroup } from "./process-group.js";
import { spawnDaemon, type DaemonCommand } from "./spawn-daemon.js";
import { WarmPool, type WarmDaemon } from "./warm-pool.js";
import { copyVolume, createVolume, removeTree, volumeExists } from "./volume.js";

/** Options of the process runtime. */
export interface ProcessRuntimeOptions {
  /** The data directory; sessions live in `<dataDir>/sessions`. */
  readonly dataDir: string;
  /** The daemon's entry script, run with this Node.js; default: the bundle of @raworc/agent-runtime's current sources. */
  readonly daemonEntry?: string;
  /** Extra environment variables for every daemon; default none (the server's environment is never passed on). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the runtime logs what it does; default silent. */
  readonly logger?: Logger;
  /** How long stop() waits after SIGTERM before SIGKILL, unless the call says otherwise; default 10 s. */
  readonly graceMs?: number;
  /** Size of `daemon.log` above which it is rotated into `daemon.log.1`; default 10 MiB. */
  readonly maxLogBytes?: number;
  /** How often daemons that are not children of this process are checked for exit, and logs for size; default 1 s. */
  readonly pollMs?: number;
  /** Warm daemons kept loaded and waiting for a session (see warm-pool.ts); default 0, none. */
  readonly warmPool?: number;
}

/** The `process` adapter of the SessionRuntime port. */
export class ProcessRuntime implements SessionRuntime {
  /** Always "process". */
  readonly kind = "process" as const;
  private readonly dataDir: string;
  private readonly daemonEntry: DaemonEntryResolver;
  private readonly daemonEnv: Readonly<Record<string, string>>;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private readonly maxLogBytes: number;
  private readonly pollMs: number;
  private readonly serial = new KeyedSerializer();
  /** Daemons spawned by this instance that have not exited yet. */
  private readonly children = new Map<string, ChildProcess>();
  /** Children whose exit stop() asked for: their exit is not a crash. */
  private readonly stopRequested = new WeakSet<ChildProcess>();
  private readonly starting = new Set<string>();
  /** Daemons of other control planes last seen running, by session: the poll reports when they go. */
  private readonly adoptedRunning = new Set<string>();
  private readonly watchers = new Set<(sessionId: string) => void>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Warm daemons, when the pool is configured; exposed for tests and the bench. */
  readonly warmPool: WarmPool | undefined;

  constructor(options: ProcessRuntimeOptions) {
    this.dataDir = options.dataDir;
    this.logger = options.logger ?? pino({ enabled: false });
    this.daemonEntry = options.daemonEntry === undefined ? bundledDaemonEntry(this.logger) : fixedDaemonEntry(options.daemonEntry);
    this.daemonEnv = options.env ?? {};
    this.graceMs = options.graceMs ?? 10_000;
    this.maxLogBytes = options.maxLogBytes ?? 10 * 1024 * 1024;
    this.pollMs = options.pollMs ?? 1_000;
    const size = options.warmPool ?? 0;
    this.warmPool = size > 0 ? new WarmPool({ size, dir: join(this.dataDir, "warm"), entry: this.daemonEntry, env: this.daemonEnv, logger: this.logger }) : undefined;
    this.schedulePoll();
  }

  /** Creates the volume directory, empty or as a reflink copy of another session's; an existing one is left alone. */
  ensureVolume(sessionId: string, options?: { readonly from?: string; readonly storage?: string }): Promise<void> {
    return this.serial.run(sessionId, async () => {
      const paths = sessionPaths(this.dataDir, sessionId);
      if (await volumeExists(paths.workspace)) return;
      const from = options?.from;
      if (from === undefined) return createVolume(paths.dir, paths.workspace);
      if (from === sessionId) throw new Error(`session ${sessionId} cannot be copied from itself`);
      await copyVolume(sessionPaths(this.dataDir, from).workspace, paths.workspace, paths.dir);
      this.logger.info({ sessionId, from }, "copied volume");
    });
  }

  /** Spawns the daemon unless one (spawned by this or a previous control plane) is running; the volume must exist. */
  start(launch: SessionLaunch): Promise<void> {
    return this.serial.run(launch.sessionId, async () => {
      const paths = sessionPaths(this.dataDir, launch.sessionId);
      if (this.children.has(launch.sessionId)) return;
      const previous = await readPidRecord(paths);
      if (previous && (await isSameProcessRunning(previous))) return;
      if (!(await volumeExists(paths.workspace))) throw new Error(`session ${launch.sessionId} has no volume; ensureVolume first`);
      // Tools that a crashed daemon left in its process group must not keep writing to the volume.
      if (previous && (await isGroupOurs(previous))) await terminateGroup(previous.pid, 0);
      await removeDaemonRecords(paths);
      await rotateDaemonLog(paths.log, this.maxLogBytes);
      this.starting.add(launch.sessionId);
      try {
        const warm = await this.warmPool?.take();
        if (!warm || !(await this.claim(warm, launch, paths))) await this.spawn(launch, paths);
      } finally {
        this.starting.delete(launch.sessionId);
      }
      this.emit(launch.sessionId);
    });
  }

  /** How to run a daemon right now: the entry is resolved (and the bundle checked for freshness) for every spawn. */
  private async command(): Promise<DaemonCommand> {
    return { node: process.execPath, entry: (await this.daemonEntry()).entry, env: this.daemonEnv };
  }

  private async spawn(launch: SessionLaunch, paths: SessionPaths): Promise<void> {
    const child = spawnDaemon(await this.command(), paths, launch);
    const pid = child.pid;
    if (pid === undefined) {
      await once(child, "spawn"); // rejects with the spawn error
      throw new Error(`the daemon of session ${launch.sessionId} did not start`);
    }
    // Recorded before anything else can run, so a control plane killed right now leaves a pid file behind, not an unknown daemon.
    const identity: ProcessIdentity = { pid, started: processStatSync(pid)?.started ?? "" };
    try {
      writePidRecordSync(paths, { ...identity, spawnedAt: new Date().toISOString() });
    } catch (err) {
      signalGroup(pid, "SIGKILL");
      throw err;
    }
    this.children.set(launch.sessionId, child);
    child.on("exit", (code, signal) => this.onExit(launch.sessionId, child, paths, identity, code, signal));
    child.on("error", (err) => this.logger.warn({ err, sessionId: launch.sessionId }, "daemon process error"));
    // The control plane may exit while daemons run on; the reconciler of the next one adopts them.
    child.unref();
    await once(child, "spawn");
    this.logger.info({ sessionId: launch.sessionId, pid }, "started daemon");
  }

  /**
   * Gives a warm daemon the session: its log becomes the session's log (a rename: the daemon
   * keeps writing to the same open file), it is recorded like a spawned daemon, then it gets the
   * session, token and volume over its IPC channel. Returns false, having killed it, when it
   * died before the claim reached it; the caller then spawns cold.
   */
  private async claim(warm: WarmDaemon, launch: SessionLaunch, paths: SessionPaths): Promise<boolean> {
    const { child, identity } = warm;
    if ((await stat(paths.log).catch(() => undefined))?.size) await rename(paths.log, `${paths.log}.1`);
    await rename(warm.log, paths.log);
    try {
      writePidRecordSync(paths, { ...identity, spawnedAt: new Date().toISOString() });
    } catch (err) {
      signalGroup(identity.pid, "SIGKILL");
      throw err;
    }
    this.children.set(launch.sessionId, child);
    child.on("exit", (code, signal) => this.onExit(launch.sessionId, child, paths, identity, code, signal));
    try {
      await WarmPool.claim(warm, { controlPlaneUrl: launch.controlPlaneUrl, sessionId: launch.sessionId, workspace: paths.workspace, token: launch.daemonToken });
    } catch (err) {
      this.logger.warn({ err, sessionId: launch.sessionId, pid: identity.pid }, "a warm daemon could not be claimed; starting cold");
      this.stopRequested.add(child);
      this.children.delete(launch.sessionId);
      signalGroup(identity.pid, "SIGKILL");
      await removeDaemonRecords(paths);
      return false;
    }
    this.logger.info({ sessionId: launch.sessionId, pid: identity.pid }, "claimed warm daemon");
    return true;
  }

  private onExit(sessionId: string, child: ChildProcess, paths: SessionPaths, identity: ProcessIdentity, exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (this.children.get(sessionId) === child) this.children.delete(sessionId);
    if (this.stopRequested.has(child)) return;
    try {
      signalGroup(identity.pid, "SIGKILL");
      writeExitRecordSync(paths, { ...identity, exitCode, signal });
    } catch (err) {
      this.logger.error({ err, sessionId }, "could not record the daemon's exit");
    }
    // Exit code 0 is the daemon's "stopped as asked" (a Shutdown for a pause or delete): not a warning, unlike a crash.
    const level = exitCode === daemonExitCodes.ok ? "info" : "warn";
    this.logger[level]({ sessionId, pid: identity.pid, exitCode, signal }, describeExit({ exitCode, signal }));
    this.emit(sessionId);
  }

  /** Stops the daemon and its process group (SIGTERM, then SIGKILL after the grace period); the volume stays. */
  stop(sessionId: string, options?: { readonly graceMs?: number }): Promise<void> {
    return this.serial.run(sessionId, () => this.stopNow(sessionId, sessionPaths(this.dataDir, sessionId), options?.graceMs ?? this.graceMs));
  }

  private async stopNow(sessionId: string, paths: SessionPaths, graceMs: number): Promise<void> {
    const child = this.children.get(sessionId);
    const record = child?.pid === undefined ? await readPidRecord(paths) : { pid: child.pid, started: "" };
    if (!record) return;
    if (child) this.stopRequested.add(child);
    if (child || (await isGroupOurs(record))) {
      const { killed } = await terminateGroup(record.pid, graceMs);
      this.logger.info({ sessionId, pid: record.pid, killed }, "stopped daemon");
    }
    this.children.delete(sessionId);
    this.adoptedRunning.delete(sessionId);
    await removeDaemonRecords(paths);
    this.emit(sessionId);
  }

  /** Stops the daemon and removes the session's directory: volume, log and records. */
  destroy(sessionId: string): Promise<void> {
    return this.serial.run(sessionId, async () => {
      const paths = sessionPaths(this.dataDir, sessionId);
      await this.stopNow(sessionId, paths, this.graceMs);
      if (!(await volumeExists(paths.dir))) return;
      await removeTree(paths.dir);
      this.logger.info({ sessionId }, "destroyed session directory");
    });
  }

  /**
   * The volume and the daemon of one session as they are now. A daemon is "running" from the
   * moment its process exists (being ready is the daemon's Ready on the attach stream, which is
   * not the runtime's to see) and "starting" only while start() is spawning it.
   */
  async observe(sessionId: string): Promise<RuntimeObservation> {
    const paths = sessionPaths(this.dataDir, sessionId);
    const volume = (await volumeExists(paths.workspace)) ? "present" : "absent";
    return { sessionId, volume, ...(await this.observeDaemon(sessionId, paths)) };
  }

  private async observeDaemon(sessionId: string, paths: SessionPaths): Promise<DaemonObservation> {
    if (this.starting.has(sessionId)) return { daemon: "starting" };
    // A child of ours is running until its exit event, even while it is a zombie not yet reaped.
    const child = this.children.get(sessionId);
    if (child) return { daemon: "running", handle: String(child.pid) };
    const recorded = await observeRecordedDaemon(paths);
    // Once seen running, an adopted daemon's exit is reported to watchers by the poll.
    if (recorded.daemon === "running") this.adoptedRunning.add(sessionId);
    return recorded;
  }

  /** Every session directory under `<dataDir>/sessions`, with or without a daemon. */
  async list(): Promise<RuntimeObservation[]> {
    return Promise.all((await this.sessionIds()).map((id) => this.observe(id)));
  }

  private async sessionIds(): Promise<string[]> {
    const entries = await readdir(sessionsRoot(this.dataDir), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return [];
      throw err;
    });
    const ids = new Set(entries.filter((e) => e.isDirectory() && isSessionId(e.name)).map((e) => e.name));
    for (const id of this.children.keys()) ids.add(id);
    return [...ids].sort();
  }

  /** Calls onChange with a session id when its daemon is spawned, exits, or is stopped, until signal aborts. */
  watch(onChange: (sessionId: string) => void, signal: AbortSignal): void {
    if (signal.aborted || this.closed) return;
    // Each call is its own subscription, even when the same function is passed twice.
    const listener = (sessionId: string) => onChange(sessionId);
    this.watchers.add(listener);
    signal.addEventListener("abort", () => this.watchers.delete(listener), { once: true });
  }

  private emit(sessionId: string): void {
    for (const watcher of this.watchers) {
      try {
        watcher(sessionId);
      } catch (err) {
        this.logger.error({ err, sessionId }, "runtime watcher failed");
      }
    }
  }

  private schedulePoll(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.poll().finally(() => this.schedulePoll());
    }, this.pollMs);
    this.timer.unref();
  }

  // Daemons that are not our children cannot tell us when they exit, so their pids are polled.
  private async poll(): Promise<void> {
    const ids = await this.sessionIds().catch((err: unknown) => {
      this.logger.warn({ err }, "listing sessions failed");
      return [];
    });
    for (const id of ids) {
      try {
        const paths = sessionPaths(this.dataDir, id);
        await rotateDaemonLog(paths.log, this.maxLogBytes);
        if (this.children.has(id) || this.starting.has(id)) continue;
        const record = await readPidRecord(paths);
        if (record && (await isSameProcessRunning(record))) this.adoptedRunning.add(id);
        else if (this.adoptedRunning.delete(id)) this.emit(id);
      } catch (err) {
        // A session destroyed while it was being polled is simply gone.
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.logger.warn({ err, sessionId: id }, "polling a session daemon failed");
      }
    }
  }

  /** Stops polling and watching and kills the unclaimed warm daemons; session daemons keep running, to be adopted by the next control plane. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.watchers.clear();
    // As after a restart: what happens to these children from now on is the next instance's to find out.
    for (const child of this.children.values()) child.removeAllListeners("exit");
    await this.warmPool?.close();
  }
}
