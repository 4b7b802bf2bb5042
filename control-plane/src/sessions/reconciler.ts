/**
 * The reconciler: level-triggered, one loop per replica. It compares each session's desired
 * state with what the runtime observes and acts (start, restart with backoff, pause, fail,
 * terminate). Hints (NOTIFY, runtime watches) only make it look sooner; a periodic sweep makes
 * a missed hint or a restart of the control plane harmless. A lease on the session row makes
 * sure two replicas never act on the same session at once.
 */
import type { Logger } from "../logger.js";
import type { SessionRuntime } from "../runtime/session-runtime.js";
import type { SessionRow } from "../store/entities/session.js";
import type { Orm } from "../store/orm.js";
import { transitionLocked } from "./event-log.js";
import { channels, type Notifier } from "./notifier.js";
import { decide, type Action, type LifecyclePolicy, type SessionFacts } from "./reconcile-decision.js";
import type { SessionStore } from "./session-store.js";
import type { SessionStateName } from "./state-machine.js";
import { idleTimeoutMsOf, resourcesOf } from "./session-spec.js";

/** Dependencies and tunables of the {@link Reconciler}. */
export interface ReconcilerOptions {
  readonly orm: Orm;
  readonly store: SessionStore;
  readonly runtime: SessionRuntime;
  readonly notifier: Notifier;
  readonly logger: Logger;
  /** This replica's identity in leases. */
  readonly replicaId: string;
  /** The URL daemons attach to. */
  readonly controlPlaneUrl: string;
  /** Issues the daemon token for a session at its current token generation. */
  readonly issueDaemonToken: (sessionId: string, generation: number) => Promise<string>;
  readonly policy: LifecyclePolicy;
  /** Idle timeout of sessions whose spec does not set one; 0 = never. */
  readonly defaultIdleTimeoutMs: number;
  /** Sweep period (default 1 s). */
  readonly intervalMs?: number;
  /** How long a claimed session stays ours without renewal (default 30 s). */
  readonly leaseMs?: number;
  /** Grace for daemons to stop on pause and delete (default 10 s). */
  readonly stopGraceMs?: number;
  /** Most sessions reconciled at once (default 8); the rest wait their turn. */
  readonly maxConcurrent?: number;
}

/** The columns of a live session the periodic sweep reads to decide whether it needs action. */
interface SweepRow {
  readonly id: string;
  readonly state: string;
  readonly desired: string;
  readonly restart_attempts: number | string;
  readonly next_attempt_at: Date | string | null;
  readonly last_activity_at: Date | string;
  readonly started_at: Date | string | null;
  /** The spec's idleTimeout (protobuf JSON Duration), or null. */
  readonly idle_timeout: unknown;
  readonly volume_retained: boolean;
  readonly has_parent: boolean;
}

/** Drives sessions towards their desired state. */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private gcTimer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();
  private readonly again = new Set<string>();
  /** Sessions waiting for a free slot, in order of scheduling. */
  private readonly waiting = new Set<string>();
  private readonly abort = new AbortController();
  private sweeping: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly o: ReconcilerOptions) {}

  /** Cleans up what the runtime has that the database does not want, then starts the loop. */
  async start(): Promise<void> {
    await this.collectGarbage();
    this.unsubscribe = this.o.notifier.subscribe(channels.sessions, (id) => (id === "*" ? this.kick() : this.schedule(id)));
    this.o.runtime.watch((id) => this.schedule(id), this.abort.signal);
    this.timer = setInterval(() => this.kick(), this.o.intervalMs ?? 1000);
    this.timer.unref();
    // Sessions can vanish from the database without passing through TERMINATED (a forced
    // namespace delete), so leftovers are collected periodically, not only at start.
    this.gcTimer = setInterval(() => {
      this.collectGarbage().catch((err: unknown) => this.o.logger.warn({ err }, "runtime garbage collection failed"));
    }, 30_000);
    this.gcTimer.unref();
    this.kick();
  }

  /** Stops the loop, waits for actions in progress, and releases this replica's leases. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearInterval(this.gcTimer);
    this.unsubscribe?.();
    this.abort.abort();
    await this.sweeping;
    while (this.inFlight.size > 0) await new Promise((r) => setTimeout(r, 20));
    await this.o.orm.em
      .fork()
      .execute(`update sessions set lease_owner = null, lease_until = null where lease_owner = ?`, [this.o.replicaId])
      .catch(() => undefined);
  }

  /** Reconciles one session soon (hint). */
  schedule(sessionId: string): void {
    if (this.stopped) return;
    if (this.inFlight.has(sessionId)) {
      this.again.add(sessionId);
      return;
    }
    // Bounded and first come, first served: a sweep over many sessions (a burst of creations,
    // a restart) leaves the database pool to the API calls instead of queueing them past their
    // connect timeout, and busy sessions, hinted again and again, cannot starve new ones.
    this.waiting.add(sessionId);
    this.startWaiting();
  }

  private startWaiting(): void {
    for (const sessionId of this.waiting) {
      if (this.inFlight.size >= (this.o.maxConcurrent ?? 8)) return;
      this.waiting.delete(sessionId);
      this.inFlight.add(sessionId);
      void this.reconcile(sessionId)
        .catch((err: unknown) => this.o.logger.warn({ err, sessionId }, "reconcile failed; will retry"))
        .finally(() => {
          this.inFlight.delete(sessionId);
          if (this.again.delete(sessionId)) this.waiting.add(sessionId);
          if (!this.stopped) this.startWaiting();
        });
    }
  }

  private kick(): void {
    if (this.stopped || this.sweeping) return;
    this.sweeping = this.sweep()
      .catch((err: unknown) => this.o.logger.warn({ err }, "reconcile sweep failed"))
      .finally(() => (this.sweeping = undefined));
  }

  /**
   * One query reads what the decision needs of every live session; only sessions with something
   * to do are scheduled (and read again, under their lease). Scheduling all of them made a
   * query per session per second: with 100 sessions that alone kept the pool busy.
   */
  private async sweep(): Promise<void> {
    const rows = await this.o.orm.em.fork().execute<SweepRow[]>(
      `select id::text as id, state, desired, restart_attempts, next_attempt_at, last_activity_at, started_at,
              spec->'idleTimeout' as idle_timeout, volume_retained, parent_id is not null as has_parent
         from sessions where state <> 'terminated'`,
    );
    const now = new Date();
    await Promise.all(
      rows.map(async (row) => {
        if (this.inFlight.has(row.id) || this.waiting.has(row.id)) return;
        const observed = await this.o.runtime.observe(row.id).catch(() => undefined);
        // A session the runtime cannot observe now is left to reconcile(), which logs why.
        if (!observed || decide(this.sweptFacts(row), observed, now, this.o.policy).kind !== "none") this.schedule(row.id);
      }),
    );
  }

  private sweptFacts(row: SweepRow): SessionFacts {
    const date = (value: Date | string | null) => (value === null ? null : new Date(value));
    return {
      state: row.state as SessionStateName,
      desired: row.desired as SessionFacts["desired"],
      restartAttempts: Number(row.restart_attempts),
      nextAttemptAt: date(row.next_attempt_at),
      lastActivityAt: new Date(row.last_activity_at),
      startedAt: date(row.started_at),
      idleTimeoutMs: idleTimeoutMsOf(row.idle_timeout === null ? {} : { idleTimeout: row.idle_timeout }, this.o.defaultIdleTimeoutMs),
      volumeRetained: row.volume_retained,
      hasParent: row.has_parent,
    };
  }

  /** Observes, decides, and — only when there is something to do — claims the session and acts. */
  async reconcile(sessionId: string): Promise<void> {
    const row = await this.o.store.findById(sessionId);
    if (!row || row.state === "terminated") return;
    const observed = await this.o.runtime.observe(sessionId);
    if (decide(this.facts(row), observed, new Date(), this.o.policy).kind === "none") return;
    if (!(await this.claim(sessionId))) return; // another replica is acting on it
    try {
      // Decide again now that the session is ours: the first look may be stale.
      const fresh = await this.o.store.findById(sessionId);
      if (!fresh) return;
      const action = decide(this.facts(fresh), await this.o.runtime.observe(sessionId), new Date(), this.o.policy);
      if (action.kind !== "none") this.o.logger.info({ sessionId, action: action.kind, state: fresh.state, desired: fresh.desired }, "reconcile");
      await this.execute(fresh, action);
    } finally {
      await this.release(sessionId);
    }
  }

  /**
   * Pauses every session whose daemon may be running (STARTING, READY, BUSY, PAUSING) as an idle
   * timeout does, with `reason` on its way to PAUSED; a message or ResumeSession starts it
   * again. For a server stopping with its sessions (`raworc start --stop-sessions-on-exit`):
   * call it after stop(), so the loop does not act at the same time. Returns how many it paused.
   */
  async pauseAll(reason: string): Promise<number> {
    const ids: string[] = [];
    let pageToken = "";
    do {
      const page = await this.o.store.list({ states: ["starting", "ready", "busy", "pausing"], labelSelector: "", pageSize: 1000, pageToken });
      ids.push(...page.items.filter((row) => row.desired !== "terminated").map((row) => row.id));
      pageToken = page.nextPageToken;
    } while (pageToken);
    const paused = await Promise.all(
      ids.map(async (sessionId) => {
        if (!(await this.claim(sessionId))) return false; // another replica is acting on it
        try {
          const row = await this.o.store.findById(sessionId);
          if (!row || row.desired === "terminated") return false;
          if (row.state !== "pausing") await this.execute(row, { kind: "begin-pause", reason });
          await this.execute(row, { kind: "finish-pause" });
          return true;
        } catch (err) {
          this.o.logger.warn({ err, sessionId }, "could not pause the session; its daemon may still run");
          return false;
        } finally {
          await this.release(sessionId);
        }
      }),
    );
    return paused.filter(Boolean).length;
  }

  /**
   * The lease guards one action, not the session's lifetime: once done, any replica (or this
   * one restarted under a new id) may act next. Only a replica that dies mid-action leaves a
   * lease to expire.
   */
  private async release(sessionId: string): Promise<void> {
    await this.o.orm.em
      .fork()
      .execute(`update sessions set lease_owner = null, lease_until = null where id = ? and lease_owner = ?`, [sessionId, this.o.replicaId])
      .catch(() => undefined);
  }

  private facts(row: SessionRow): SessionFacts {
    return {
      state: row.state as SessionStateName,
      desired: row.desired as SessionFacts["desired"],
      restartAttempts: row.restartAttempts,
      nextAttemptAt: row.nextAttemptAt ?? null,
      lastActivityAt: row.lastActivityAt,
      startedAt: row.startedAt ?? null,
      idleTimeoutMs: idleTimeoutMsOf(row.spec, this.o.defaultIdleTimeoutMs),
      volumeRetained: row.volumeRetained,
      hasParent: row.parentId !== null && row.parentId !== undefined,
    };
  }

  private async claim(sessionId: string): Promise<boolean> {
    const leaseMs = this.o.leaseMs ?? 30_000;
    const rows = await this.o.orm.em.fork().execute<{ id: string }[]>(
      `update sessions set lease_owner = ?, lease_until = now() + make_interval(secs => ?)
        where id = ? and (lease_owner is null or lease_owner = ? or lease_until < now()) returning id`,
      [this.o.replicaId, leaseMs / 1000, sessionId, this.o.replicaId],
    );
    return rows.length === 1;
  }

  private async execute(row: SessionRow, action: Action): Promise<void> {
    const { store, runtime } = this.o;
    const grace = { graceMs: this.o.stopGraceMs ?? 10_000 };
    switch (action.kind) {
      case "none":
        return;
      case "start": {
        const resources = resourcesOf(row.spec);
        await runtime.ensureVolume(row.id, {
          from: action.fromParentVolume && row.parentId ? row.parentId : undefined,
          storage: resources.storage,
        });
        const daemonToken = await this.o.issueDaemonToken(row.id, row.tokenGeneration);
        await runtime.start({ sessionId: row.id, namespace: row.namespace, name: row.name, controlPlaneUrl: this.o.controlPlaneUrl, daemonToken, resources });
        const seen = await runtime.observe(row.id);
        await store.withLocked(row.id, async (em, locked) => {
          if (locked.state === "failed") locked.restartAttempts = 0;
          locked.startedAt = new Date();
          locked.nextAttemptAt = null;
          locked.runtimeHandle = seen.handle ?? "";
          if (locked.state !== "starting") await transitionLocked(em, locked, "starting", action.reason);
        });
        return;
      }
      case "restart-later":
        await store.withLocked(row.id, async (em, locked) => {
          locked.restartAttempts += 1;
          locked.nextAttemptAt = action.at;
          locked.activeTurn = 0;
          if (locked.state !== "starting") await transitionLocked(em, locked, "starting", action.reason, action.message);
        });
        return;
      case "fail":
        await runtime.stop(row.id, grace);
        await store.withLocked(row.id, async (em, locked) => {
          locked.restartAttempts += 1;
          locked.activeTurn = 0;
          // Until someone resumes it: ResumeSession sets desired back to running.
          locked.desired = "paused";
          await transitionLocked(em, locked, "failed", action.reason, action.message);
        });
        return;
      case "begin-pause":
        await store.withLocked(row.id, async (em, locked) => {
          locked.desired = "paused";
          await transitionLocked(em, locked, "pausing", action.reason);
        });
        this.schedule(row.id);
        return;
      case "finish-pause":
        await runtime.stop(row.id, grace);
        await store.withLocked(row.id, async (em, locked) => {
          locked.activeTurn = 0;
          locked.runtimeHandle = "";
          await transitionLocked(em, locked, "paused", "Paused");
        });
        return;
      case "begin-terminate":
        await store.withLocked(row.id, async (em, locked) => {
          locked.tokenGeneration += 1; // the daemon's token stops working at once
          await transitionLocked(em, locked, "terminating", "Deleted");
        });
        this.schedule(row.id);
        return;
      case "finish-terminate":
        if (action.keepVolume) await runtime.stop(row.id, grace);
        else await runtime.destroy(row.id);
        await store.withLocked(row.id, async (em, locked) => {
          locked.activeTurn = 0;
          locked.runtimeHandle = "";
          await transitionLocked(em, locked, "terminated", action.keepVolume ? "DeletedVolumeRetained" : "Deleted");
        });
        return;
    }
  }

  /** Destroys runtime leftovers of sessions the database does not know or has terminated. */
  private async collectGarbage(): Promise<void> {
    const present = await this.o.runtime.list();
    if (present.length === 0) return;
    const ids = present.map((p) => p.sessionId);
    const rows = await this.o.orm.em.fork().execute<{ id: string; state: string; volume_retained: boolean }[]>(
      `select id::text as id, state, volume_retained from sessions where id::text in (${ids.map(() => "?").join(", ")})`,
      ids,
    );
    const known = new Map(rows.map((r) => [r.id, r]));
    for (const p of present) {
      const row = known.get(p.sessionId);
      if (row && row.state !== "terminated") continue;
      if (row?.volume_retained) await this.o.runtime.stop(p.sessionId);
      else await this.o.runtime.destroy(p.sessionId);
      this.o.logger.info({ sessionId: p.sessionId, known: Boolean(row) }, "cleaned up runtime leftovers of a session that is not live");
    }
  }
}
