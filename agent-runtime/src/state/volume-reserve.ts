/**
 * A full volume must not silence the daemon: it keeps a small reserve file in `.raworc/` while
 * there is room, and when a durable write of its own (outbox, conversation log, state file)
 * fails for lack of space it deletes the reserve and retries the write once. The space freed is
 * enough to record the failing turn's end (TurnFailed VolumeFull) through the normal outbox, so
 * the user gets an answer and nothing acknowledged is lost. Once the reserve is spent, a write
 * that fails for space is fatal and the daemon exits with its volume-full code.
 */
import { randomBytes } from "node:crypto";
import { rm, stat, statfs } from "node:fs/promises";
import { dirname } from "node:path";
import { describeError, VolumeFullError } from "../errors.js";
import type { Logger } from "../logger.js";
import { fsyncDirectory, writeFileAtomic } from "./durable-files.js";

/** Runs a durable write, retrying it once with the reserve's space if it fails because the volume is full. */
export type WriteGuard = <T>(write: () => Promise<T>) => Promise<T>;

/** The reserve's size: 1 MiB, or an eighth of a small volume (so a tiny volume is not mostly reserve). */
export const maxReserveBytes = 1024 * 1024;

/** Whether `error` (or its cause) says the file system is out of space or quota. */
export function isVolumeFull(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof VolumeFullError) return true;
    const code = (current as NodeJS.ErrnoException).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
  }
  return false;
}

/** Size and free space of the file system holding `path`, in bytes. */
export async function volumeUsage(path: string): Promise<{ readonly size: number; readonly free: number }> {
  const fs = await statfs(path);
  return { size: fs.blocks * fs.bsize, free: fs.bavail * fs.bsize };
}

/** `bytes` for people: B, KiB, MiB or GiB with one decimal. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** The user-facing sentence for a full volume: where it is and how full. */
export async function describeFullVolume(workspace: string): Promise<string> {
  const usage = await volumeUsage(workspace).catch(() => undefined);
  const fill = usage ? `: ${formatBytes(usage.size - usage.free)} of ${formatBytes(usage.size)} used, ${formatBytes(usage.free)} free` : "";
  return `the session volume (${workspace}) is full${fill}; free space in it (delete files), then send a message or resume the session`;
}

/** Options for {@link VolumeReserve}. */
export interface VolumeReserveOptions {
  /** The reserve file (`.raworc/reserve`). */
  readonly file: string;
  /** The volume's root, to measure it. */
  readonly workspace: string;
  readonly log: Logger;
  /** Called once each time the reserve is spent, with the user-facing description of the full volume. */
  readonly onReleased?: (error: VolumeFullError) => void;
}

/** The reserve file and the write guard that spends it. */
export class VolumeReserve {
  private held = false;
  private releasing: Promise<void> | undefined;

  constructor(private readonly options: VolumeReserveOptions) {}

  /** Whether the reserve is in place. */
  get isHeld(): boolean {
    return this.held;
  }

  /**
   * Creates the reserve if it is missing and the volume has room for it twice over (so making
   * it never fills the volume); never throws: a volume without a reserve still works.
   */
  async ensure(): Promise<boolean> {
    if (this.held) return true;
    const { file, workspace, log } = this.options;
    try {
      const usage = await volumeUsage(workspace);
      const bytes = reserveBytes(usage.size);
      const existing = await stat(file).catch(() => undefined);
      if (existing?.size === bytes) return (this.held = true);
      if (existing) await rm(file, { force: true });
      if (usage.free + (existing?.size ?? 0) < 2 * bytes) {
        log.warn({ free: usage.free, reserve: bytes }, "the session volume is nearly full; no space reserve for now");
        return false;
      }
      // Random bytes: a compressing or deduplicating file system would not allocate zeros.
      await writeFileAtomic(file, randomBytes(bytes));
      log.info({ reserve: bytes }, "volume space reserve in place");
      return (this.held = true);
    } catch (error) {
      log.warn({ err: describeError(error) }, "cannot create the volume space reserve");
      return false;
    }
  }

  /** A {@link WriteGuard} bound to this reserve. */
  readonly guard: WriteGuard = async (write) => {
    const heldAtStart = this.held;
    try {
      return await write();
    } catch (error) {
      // A concurrent write may have spent the reserve already: the space it freed is there for this one too.
      if (!heldAtStart || !isVolumeFull(error)) throw error;
      await this.release();
      return write();
    }
  };

  /** Deletes the reserve (once, however many writes failed together) and tells `onReleased`. */
  private release(): Promise<void> {
    if (!this.held) return this.releasing ?? Promise.resolve();
    this.held = false;
    this.releasing = (async () => {
      const message = await describeFullVolume(this.options.workspace);
      await rm(this.options.file, { force: true });
      await fsyncDirectory(dirname(this.options.file)).catch(() => undefined);
      this.options.log.error({}, `${message} (space reserve released to record it)`);
      this.options.onReleased?.(new VolumeFullError(message));
    })();
    return this.releasing;
  }
}

/** The reserve for a volume of `size` bytes: at most 1 MiB and an eighth of the volume, in whole 4 KiB pages. */
export function reserveBytes(size: number): number {
  return Math.max(4096, Math.floor(Math.min(maxReserveBytes, size / 8) / 4096) * 4096);
}
