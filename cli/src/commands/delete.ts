/** `raworc delete -f FILE`: deletes the objects files describe, in reverse file order. */
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { deleteObject } from "../objects/apply.js";
import { objectLabel, refOf } from "../objects/kind.js";
import { readManifestFiles } from "../objects/manifest-files.js";
import { parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";
import { collect } from "../objects/labels.js";
import { runObjectTasks } from "./run-objects.js";

interface DeleteFileFlags {
  readonly filename?: string[];
  readonly namespace?: string;
  readonly force?: boolean;
}

/** Adds `delete` to the program. */
export function configureDeleteCommand(program: Command, io: Io): void {
  program
    .command("delete")
    .description("delete the objects that YAML or JSON files describe (bindings before roles, namespaces last)")
    .option("-f, --filename <file>", "YAML or JSON file, directory, or - for standard input (repeatable)", collect)
    .option("-n, --namespace <namespace>", "namespace for objects that name none (must match those that do)")
    .option("--force", "terminate live sessions of namespaces being deleted instead of refusing")
    .action(async (flags: DeleteFileFlags, cmd: Command) => {
      if (!flags.filename?.length) throw new UsageError("delete needs -f FILE (or use a kind's own delete, e.g. raworc roles delete NAME)");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const items = await readManifestFiles(flags.filename, io, { ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}), allowPasswords: true });
      const conn = await connect(globals, io);
      // Files list what things depend on first, so the reverse order removes dependents first.
      const tasks = [...items].reverse().map((item) => {
        const ref = refOf(item.object);
        return { label: `${item.origin} (${objectLabel(item.kind, ref)})`, run: () => deleteObject(conn, item.kind, ref, { force: flags.force ?? false }) };
      });
      await runObjectTasks(tasks, io, parseOutputFormat(globals.output, "table"));
    });
}
