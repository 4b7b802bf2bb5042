/**
 * The daemon's layout in the session's volume: everything it owns lives under `.raworc/`; the
 * rest of the workspace belongs to the agent.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { daemonDirEntries, daemonDirName } from "@raworc/contract";

/** Paths of the daemon's files in one workspace. */
export interface VolumeLayout {
  /** The workspace (the volume's root). */
  readonly workspace: string;
  /** `.raworc/`: the daemon's own directory. */
  readonly root: string;
  /** `.raworc/outbox/`: events written before sending, removed when acknowledged. */
  readonly outbox: string;
  /** `.raworc/state.json`: sequence numbers and instance info, written atomically. */
  readonly stateFile: string;
  /** `.raworc/conversation.jsonl`: the conversation log, one JSON entry per line. */
  readonly conversationFile: string;
  /** `.raworc/checkpoints/`: the turn checkpoint store (objects and manifests). */
  readonly checkpoints: string;
  /** `.raworc/reserve`: space held back so a full volume can still record the failing turn (see volume-reserve.ts). */
  readonly reserveFile: string;
}

/** The layout of the daemon's files under `workspace`. */
export function volumeLayout(workspace: string): VolumeLayout {
  const root = join(workspace, daemonDirName);
  return {
    workspace,
    root,
    outbox: join(root, daemonDirEntries.outbox),
    stateFile: join(root, daemonDirEntries.state),
    conversationFile: join(root, daemonDirEntries.conversation),
    checkpoints: join(root, daemonDirEntries.checkpoints),
    reserveFile: join(root, daemonDirEntries.reserve),
  };
}

/** Creates the daemon's directories (owner-only) if they are missing. */
export async function ensureVolumeLayout(layout: VolumeLayout): Promise<void> {
  await mkdir(layout.outbox, { recursive: true, mode: 0o700 });
}
