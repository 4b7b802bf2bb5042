/**
 * A pool of warm daemons for the process runtime: `raworc-agent --await-claim` processes that
 * have loaded their code and wait, with no session, token or volume, under `<dataDir>/warm`.
 * A start claims one instead of spawning cold, and the pool refills in the background. A warm
 * daemon is a local child of this control plane only (its IPC channel is the claim path), so
 * no other replica can claim it; when this process goes, the channel closes and every
 * unclaimed warm daemon exits. One that dies unclaimed is simply replaced.
 */
import type { ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { warmPoolMessages, type WarmClaim } from "@raworc/contract";
import type { Logger } from "../../logger.js";
import type { DaemonEntryResolver } from "./daemon-entry.js";
import { signalGroup } from "./process-group.js";
import { processStatSync, type ProcessIdentity } from "./process-identity.js";
import { spawnWarmDaemon, type DaemonCommand } from "./spawn-daemon.js";

/** A loaded warm daemon, taken out of the pool. */
export interface WarmDaemon {
  readonly child: ChildProcess;
  readonly identity: ProcessIdentity;
  /** Its stdout and stderr, to become the session's log. */
  readonly log: string;
}

/** Options of the warm pool. */
export interface WarmPoolOptions {
  /** How many loaded daemons to keep waiting. */
  readonly size: number;
  /** Directory for the warm daemons' working directory and logs. */
  readonly dir: string;
  /** The daemon code to run; warm daemons of an older key are stale and replaced. */
  readonly entry: DaemonEntryResolver;
  /** Extra environment variables, as for every daemon. */
  readonly env: Readonly<Record<string, string>>;
  readonly logger: Logger;
}

/** Longest pause between replacements of warm daemons that keep dying before they load. */
const MAX_BACKOFF_MS = 10_000;

interface Member extends WarmDaemon {
  readonly key: string;
  loaded: boolean;
  /** Resolves true once loaded, false if it exits first. */
  readonly ready: Promise<boolean>;
}

/** Warm daemons waiting to be claimed. */
export class WarmPool {
  private readonly members = new Set<Member>();
  private failures = 0;
  private filling: Promise<void> | undefined;
  private closed = false;
  private readonly closing = new AbortController();

  constructor(private readonly options: WarmPoolOptions) {
    this.refill();
  }

  /** Loaded warm daemons waiting now. */
  get loaded(): number {
    return [...this.members].filter((m) => m.loaded).length;
  }

  /** The pids of every warm daemon, loaded or loading. */
  pids(): number[] {
    return [...this.members].map((m) => m.identity.pid);
  }

  /** Takes a loaded warm daemon running the current code, or undefined when none is ready; the pool refills behind it. */
  async take(): Promise<WarmDaemon | undefined> {
    if (this.closed) return undefined;
    const { key } = await this.options.entry();
    let taken: Member | undefined;
    let loading: Member | undefined;
    for (const member of this.members) {
      if (member.key !== key) this.discard(member, "its code is stale");
      else if (member.child.exitCode !== null || member.child.signalCode !== null) continue;
      else if (member.loaded) taken ??= member;
      else loading ??= member;
    }
    // One that is still loading is further along than a cold spawn would be.
    if (!taken && loading && (await loading.ready) && this.members.has(loading)) taken = loading;
    if (taken) {
      this.members.delete(taken);
      taken.child.removeAllListeners("exit");
      taken.child.removeAllListeners("message");
    }
    this.refill();
    return taken;
  }

  /** Hands a taken warm daemon its session over IPC, then lets it go; rejects if it is gone. */
  static claim(daemon: WarmDaemon, session: Omit<WarmClaim, "type">): Promise<void> {
    const claim: WarmClaim = { type: warmPoolMessages.claim, ...session };
    return new Promise((resolve, reject) => {
      const sent = daemon.child.send(claim, (err) => {
        if (err) reject(err);
        else {
          daemon.child.disconnect();
          resolve();
        }
      });
      if (!sent && !daemon.child.connected) reject(new Error(`warm daemon ${daemon.identity.pid} is gone`));
    });
  }

  private refill(): void {
    if (this.closed || this.filling) return;
    this.filling = this.fill()
      .catch((err: unknown) => {
        if (!this.closed) this.options.logger.warn({ err }, "could not start a warm daemon");
      })
      .finally(() => {
        this.filling = undefined;
      });
  }

  private async fill(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    while (!this.closed && this.members.size < this.options.size) {
      if (this.failures > 0) await sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.failures), undefined, { signal: this.closing.signal });
      if (this.closed) return;
      await this.spawnOne();
    }
  }

  private async spawnOne(): Promise<void> {
    const { entry, key } = await this.options.entry();
    const command: DaemonCommand = { node: process.execPath, entry, env: this.options.env };
    const log = join(this.options.dir, `${randomUUID()}.log`);
    const child = spawnWarmDaemon(command, this.options.dir, log);
    if (child.pid === undefined) {
      this.failures++;
      await rm(log, { force: true });
      child.once("error", (err) => this.options.logger.warn({ err }, "warm daemon did not start"));
      return;
    }
    let settle: (loaded: boolean) => void = () => undefined;
    const ready = new Promise<boolean>((resolve) => (settle = resolve));
    const member: Member = { child, identity: { pid: child.pid, started: processStatSync(child.pid)?.started ?? "" }, log, key, loaded: false, ready };
    this.members.add(member);
    // Neither the child nor its channel keeps the control plane's event loop alive.
    child.unref();
    child.channel?.unref();
    child.on("error", (err) => this.options.logger.warn({ err, pid: child.pid }, "warm daemon process error"));
    child.on("message", (message: { type?: unknown }) => {
      if (message.type !== warmPoolMessages.loaded) return;
      member.loaded = true;
      this.failures = 0;
      settle(true);
    });
    child.once("exit", (exitCode, signal) => {
      settle(false);
      if (!this.members.delete(member)) return;
      void rm(log, { force: true });
      if (this.closed) return;
      this.failures++;
      this.options.logger.warn({ pid: member.identity.pid, exitCode, signal }, "a warm daemon exited unclaimed; replacing it");
      this.refill();
    });
  }

  private discard(member: Member, why: string): void {
    // Its exit listener still settles `ready` (for a take() waiting on it) but, no longer a member, counts as no failure.
    this.members.delete(member);
    this.options.logger.info({ pid: member.identity.pid, why }, "retiring a warm daemon");
    signalGroup(member.identity.pid, "SIGKILL");
    void rm(member.log, { force: true });
  }

  /** Stops refilling and kills every unclaimed warm daemon, waiting until each has exited. */
  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    await this.filling;
    const exits = [...this.members].map((member) => {
      const child = member.child;
      const gone = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));
      signalGroup(member.identity.pid, "SIGKILL");
      return gone.then(() => rm(member.log, { force: true }));
    });
    this.members.clear();
    await Promise.all(exits);
  }
}
