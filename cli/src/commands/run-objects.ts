/** Runs create, apply or delete over several objects: each one is tried, every outcome or failure reported, and the run fails if any did. */
import type { Io } from "../io.js";
import { ExitCode, describeFailure } from "../errors.js";
import { outcomeLine, type ObjectOutcome } from "../objects/apply.js";
import type { ObjectKind, StoredObject } from "../objects/kind.js";
import { objectJson } from "../objects/render.js";
import { formatOutput, type OutputFormat } from "../output.js";

/** One object to act on, and how messages name it. */
export interface ObjectTask {
  /** E.g. `roles.yaml: document 2 (role/dev)` or `role/dev`. */
  readonly label: string;
  readonly run: () => Promise<ObjectOutcome>;
}

/**
 * Runs the tasks in order. With `-o table` each outcome is a line (`role/dev created`); with
 * json or yaml the objects as stored are printed (one object alone, or a List). Failures go to
 * stderr, naming the object, and end the run with exit code 1 once every task has been tried.
 */
export async function runObjectTasks(tasks: readonly ObjectTask[], io: Io, format: OutputFormat): Promise<void> {
  const stored: { kind: ObjectKind; object: StoredObject }[] = [];
  let failures = 0;
  for (const task of tasks) {
    try {
      const outcome = await task.run();
      if (format === "table") io.stdout.write(`${outcomeLine(outcome)}\n`);
      else if (outcome.object) stored.push({ kind: outcome.kind, object: outcome.object });
      // Beside a table on stdout; on stderr when stdout is a document a file can be made of.
      const notice = outcome.object && outcome.kind.notice?.(outcome.object);
      if (notice) (format === "table" ? io.stdout : io.stderr).write(`${notice}\n`);
    } catch (error) {
      // Ctrl-C stops the whole run, not just this object.
      if (error instanceof Error && error.name === "AbortError") throw error;
      failures++;
      const { message } = describeFailure(error, io.env);
      io.stderr.write(`${message.replace(/^raworc: /, `raworc: ${task.label}: `)}\n`);
    }
  }
  if (format !== "table" && stored.length > 0) {
    const items = stored.map(({ kind, object }) => objectJson(kind, object));
    const value = tasks.length === 1 ? items[0] : { kind: "List", items };
    io.stdout.write(formatOutput(value, format, () => ({ columns: [], rows: [] })));
  }
  if (failures > 0) throw new ExitCode(1);
}
