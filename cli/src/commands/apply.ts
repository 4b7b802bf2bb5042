/** `raworc apply -f FILE`: creates what files describe, or updates the fields they set on objects that exist. */
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { runFileCommand, withFileOptions, type FileFlags } from "./object-commands.js";

/** Adds `apply` to the program. */
export function configureApplyCommand(program: Command, io: Io): void {
  const command = program
    .command("apply")
    .description("create or update objects of any kind from YAML or JSON files, like kubectl apply")
    .option("-n, --namespace <namespace>", "namespace for objects that name none (must match those that do)")
    .addHelpText(
      "after",
      [
        "",
        "Fields a document leaves out keep their stored values; a Secret's data, when given, becomes its",
        "whole data. A metadata.resourceVersion in the file (as -o yaml writes it) makes the update fail if",
        "the object changed since. Namespaces cannot change once created.",
        "",
        "Example:",
        "  raworc roles get dev -n team-a -o yaml > dev.yaml; $EDITOR dev.yaml; raworc apply -f dev.yaml",
      ].join("\n"),
    )
    .action(async (flags: FileFlags, cmd: Command) => {
      if (!flags.filename?.length) throw new UsageError("apply needs -f FILE");
      await runFileCommand(flags, cmd, io, undefined, "apply");
    });
  withFileOptions(command, undefined);
}
