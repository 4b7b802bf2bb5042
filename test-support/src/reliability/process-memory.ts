/** Memory of a running process as the kernel reports it (/proc/<pid>/status), for memory-bound assertions. */
import { readFile } from "node:fs/promises";

/** Resident and peak resident set size of one process, in MiB. */
export interface ProcessMemory {
  /** VmRSS: what it holds now. */
  readonly rssMiB: number;
  /** VmHWM: the most it ever held. */
  readonly peakMiB: number;
}

/** Reads `pid`'s current and peak RSS. */
export async function processMemory(pid: number): Promise<ProcessMemory> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
    if (!match?.[1]) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(match[1]);
  };
  return { rssMiB: Math.round(kib("VmRSS") / 1024), peakMiB: Math.round(kib("VmHWM") / 1024) };
}
