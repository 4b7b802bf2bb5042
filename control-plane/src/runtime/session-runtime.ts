/**
 * The SessionRuntime port: where a session's daemon runs and where its volume lives. The
 * reconciler is the only caller; adapters (process/, kubernetes/) only do what they are told
 * and report what they observe. Every method is idempotent, because a reconciler that
 * crashed half-way through an action will simply do it again.
 */

/** What a runtime needs to run one session's daemon. */
export interface SessionLaunch {
  /** The session's id (a UUID); also the volume's name. */
  readonly sessionId: string;
  /** The session's namespace and name, for labels and logs. */
  readonly namespace: string;
  readonly name: string;
  /** The URL the daemon attaches to (RuntimeService.Attach). */
  readonly controlPlaneUrl: string;
  /** The session-scoped daemon token (typ raworc-session+jwt). Never put on a command line. */
  readonly daemonToken: string;
  /** Requests and limits, as Kubernetes quantities ("500m", "512Mi", "10Gi"); empty means default. */
  readonly resources: { readonly cpu: string; readonly memory: string; readonly storage: string };
}

/** What a runtime observes about one session. */
export interface RuntimeObservation {
  readonly sessionId: string;
  /** Whether the volume exists. */
  readonly volume: "present" | "absent";
  /**
   * The daemon: absent (never started or stopped and cleaned up), starting (process spawned /
   * pod scheduled, not yet running), running, or exited (died on its own; exitCode and
   * message say how). A daemon that the runtime stopped on request is absent, not exited.
   */
  readonly daemon: "absent" | "starting" | "running" | "exited";
  readonly exitCode?: number;
  readonly message?: string;
  /** The runtime's handle: a pid or a pod name. */
  readonly handle?: string;
}

/** A place where session daemons run. */
export interface SessionRuntime {
  /** "process" or "kubernetes", as reported in SessionStatus.runtime. */
  readonly kind: "process" | "kubernetes";
  /** Creates the session's volume if it does not exist; with `from`, as a copy of that session's volume. */
  ensureVolume(sessionId: string, options?: { readonly from?: string; readonly storage?: string }): Promise<void>;
  /** Starts the daemon unless it is already starting or running. */
  start(launch: SessionLaunch): Promise<void>;
  /** Stops the daemon (SIGTERM / pod delete with grace, then force) and keeps the volume. */
  stop(sessionId: string, options?: { readonly graceMs?: number }): Promise<void>;
  /** Stops the daemon and deletes the volume (and any per-session secret). */
  destroy(sessionId: string): Promise<void>;
  /** What the runtime sees for one session right now. */
  observe(sessionId: string): Promise<RuntimeObservation>;
  /** Every session the runtime has anything of (volumes or daemons), for adoption and cleanup. */
  list(): Promise<RuntimeObservation[]>;
  /** Calls `onChange` whenever a daemon's state changes (a level-triggered hint: observe() is the truth). */
  watch(onChange: (sessionId: string) => void, signal: AbortSignal): void;
  /** Releases resources (watches, timers); daemons keep running unless the runtime owns them as children. */
  close(): Promise<void>;
}
