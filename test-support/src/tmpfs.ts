/** Whether this process can mount a tmpfs, probed once: the condition the full-disk tests wait for. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

let probed: string | undefined | null = null;

/** Why a small tmpfs cannot be mounted here (not root, or no CAP_SYS_ADMIN), or undefined when it can; for skip titles. */
export function tmpfsUnavailable(): string | undefined {
  if (probed !== null) return probed;
  if (process.getuid?.() !== 0) return (probed = "requires root to mount a tmpfs");
  const dir = mkdtempSync(join(tmpdir(), "raworc-tmpfs-probe-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], { stdio: "ignore" });
    execFileSync("umount", [dir], { stdio: "ignore" });
    probed = undefined;
  } catch {
    probed = "requires permission to mount a tmpfs (mount refused: no CAP_SYS_ADMIN)";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return probed;
}
