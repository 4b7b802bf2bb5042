/** Settings of the attach handler, with their defaults. */
import controlPlanePackage from "../../../package.json" with { type: "json" };

/** How the control plane paces and bounds one daemon's attach stream. */
export interface AttachOptions {
  /** How often each side sends a heartbeat when it has sent nothing else (default 5 s). */
  readonly heartbeatIntervalMs: number;
  /**
   * How long the daemon may stay silent before the stream ends with DEADLINE_EXCEEDED
   * (default 15 s: three missed heartbeats). Also bounds the wait for Hello. A half-open
   * connection looks exactly like this, so this is also how it is detected.
   */
  readonly heartbeatTimeoutMs: number;
  /**
   * How often the session is re-read for work and desired state even without a hint (default
   * 15 s). Only a fallback: new work and desired-state changes NOTIFY the stream, and a
   * reconnected LISTEN wakes every stream; at 5 s, 100 idle daemons made 40 queries/s.
   */
  readonly pollIntervalMs: number;
  /** The grace period sent in Shutdown: how long the daemon has before it is killed (default 10 s). */
  readonly shutdownGraceMs: number;
  /** Most daemon messages stored in one transaction (default 256). */
  readonly maxBatch: number;
  /** The version reported in Welcome (default: this package's version). */
  readonly serverVersion: string;
}

/** The defaults of {@link AttachOptions}. */
export const defaultAttachOptions: AttachOptions = {
  heartbeatIntervalMs: 5_000,
  heartbeatTimeoutMs: 15_000,
  pollIntervalMs: 15_000,
  shutdownGraceMs: 10_000,
  maxBatch: 256,
  serverVersion: controlPlanePackage.version,
};

/** Fills in defaults and refuses settings that cannot work (a timeout not above the interval). */
export function resolveAttachOptions(options: Partial<AttachOptions> = {}): AttachOptions {
  const resolved = { ...defaultAttachOptions, ...options };
  if (resolved.heartbeatTimeoutMs <= resolved.heartbeatIntervalMs) {
    throw new RangeError("heartbeatTimeoutMs must be longer than heartbeatIntervalMs");
  }
  if (resolved.maxBatch < 1) throw new RangeError("maxBatch must be at least 1");
  return resolved;
}
