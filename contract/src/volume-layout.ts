/**
 * The names of what the daemon keeps in a session's volume: its own directory at the volume's
 * root and the files in it. Tools never see that directory.
 */

/** The daemon's directory at the root of the volume. */
export const daemonDirName = ".raworc";

/** Entries of the daemon's directory. */
export const daemonDirEntries = {
  /** Events written before sending, removed when acknowledged. */
  outbox: "outbox",
  /** Sequence numbers and instance info, written atomically. */
  state: "state.json",
  /** The conversation log, one JSON entry per line. */
  conversation: "conversation.jsonl",
  /** The turn checkpoint store. */
  checkpoints: "checkpoints",
  /** Space held back so a full volume can still record the failing turn. */
  reserve: "reserve",
} as const;
