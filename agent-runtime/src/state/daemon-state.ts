/**
 * `.raworc/state.json`: the daemon's own durable facts — whose session the volume holds, the
 * highest daemon seq written and acknowledged, the highest control seq applied, which process
 * wrote it last, and what a remix restored. Every write replaces the file atomically; writes
 * are serialised and coalesced, and a caller's promise resolves only once its change is on disk.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { StateError } from "../errors.js";
import { writeFileAtomic } from "./durable-files.js";
import type { WriteGuard } from "./volume-reserve.js";

/** The process that last wrote the state. */
export interface InstanceInfo {
  /** Random id of the daemon process (Hello.instance_id). */
  readonly id: string;
  readonly pid: number;
  readonly startedAt: string;
  readonly daemonVersion: string;
}

/** What a remix restored into this volume (Welcome.restore), so a repeated Welcome is harmless. */
export interface RestoredFrom {
  readonly parentSessionId: string;
  readonly turn: number;
  readonly checkpointId: string;
}

/** The daemon's durable state. */
export interface DaemonState {
  /** The session whose state the volume holds; another id means a remix copy not yet restored. */
  readonly sessionId: string;
  /** Highest daemon seq written to the outbox; never goes back, also after its entries are deleted. */
  readonly lastDaemonSeq: bigint;
  /** Highest daemon seq the control plane acknowledged. */
  readonly lastAckedDaemonSeq: bigint;
  /** Highest control-plane seq (work item) applied; acknowledged only once recorded here. */
  readonly lastAppliedControlSeq: bigint;
  readonly instance: InstanceInfo;
  readonly restoredFrom: RestoredFrom | undefined;
}

const seq = z.string().regex(/^\d{1,20}$/).transform((value) => BigInt(value));
const fileSchema = z.object({
  version: z.literal(1),
  sessionId: z.string().min(1),
  lastDaemonSeq: seq,
  lastAckedDaemonSeq: seq,
  lastAppliedControlSeq: seq,
  instance: z.object({ id: z.string(), pid: z.number(), startedAt: z.string(), daemonVersion: z.string() }),
  restoredFrom: z.object({ parentSessionId: z.string(), turn: z.number().int().min(0), checkpointId: z.string() }).nullable(),
});

/** Reads the state file; undefined when there is none (a fresh volume). A file that does not parse is a StateError. */
export async function readDaemonState(path: string): Promise<DaemonState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new StateError("cannot read the daemon state", path, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new StateError("the daemon state is not valid JSON", path, { cause: error });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) throw new StateError(`the daemon state is malformed: ${parsed.error.issues[0]?.message ?? "?"}`, path);
  const { version: _version, restoredFrom, ...rest } = parsed.data;
  return { ...rest, restoredFrom: restoredFrom ?? undefined };
}

/** The file's JSON text for a state (seqs as decimal strings: JSON numbers cannot hold every uint64). */
export function serializeDaemonState(state: DaemonState): string {
  return `${JSON.stringify(
    {
      version: 1,
      sessionId: state.sessionId,
      lastDaemonSeq: state.lastDaemonSeq.toString(),
      lastAckedDaemonSeq: state.lastAckedDaemonSeq.toString(),
      lastAppliedControlSeq: state.lastAppliedControlSeq.toString(),
      instance: state.instance,
      restoredFrom: state.restoredFrom ?? null,
    },
    null,
    2,
  )}\n`;
}

/** Holds the current state in memory and writes every change durably, in order, coalescing bursts. */
export class DaemonStateStore {
  private current: DaemonState;
  private written: DaemonState | undefined;
  private writing: Promise<void> | undefined;
  private waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(
    private readonly path: string,
    initial: DaemonState,
    private readonly guard: WriteGuard = (write) => write(),
  ) {
    this.current = initial;
  }

  /** The state as last updated (possibly not yet on disk). */
  get state(): DaemonState {
    return this.current;
  }

  /** Applies `patch` and resolves once a write that includes it has reached the disk. */
  update(patch: Partial<DaemonState>): Promise<void> {
    this.current = { ...this.current, ...patch };
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.writing ??= this.drain();
    return done;
  }

  /** Writes until no change is pending; each round settles the callers whose changes it included. */
  private async drain(): Promise<void> {
    while (this.waiters.length > 0) {
      const round = this.waiters;
      this.waiters = [];
      const snapshot = this.current;
      try {
        if (snapshot !== this.written) await this.guard(() => writeFileAtomic(this.path, serializeDaemonState(snapshot)));
        this.written = snapshot;
        for (const waiter of round) waiter.resolve();
      } catch (error) {
        for (const waiter of round) waiter.reject(error);
      }
    }
    this.writing = undefined;
  }
}
