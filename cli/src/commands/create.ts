/** `raworc create -f FILE`: creates the objects of any kinds that files describe, in file order. */
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { runFileCommand, withFileOptions, type FileFlags } from "./object-commands.js";

/** Adds `create` to the program. */
export function configureCreateCommand(program: Command, io: Io): void {
  const command = program
    .command("create")
    .description("create objects of any kind from YAML or JSON files (kind: Namespace, ServiceAccount, Role, RoleBinding, Secret or Agent)")
    .option("-n, --namespace <namespace>", "namespace for objects that name none (must match those that do)")
    .addHelpText("after", "\nExample:\n  raworc create -f team-a.yaml\n\nCreate single objects with their own commands, e.g. raworc roles create --help.")
    .action(async (flags: FileFlags, cmd: Command) => {
      if (!flags.filename?.length) throw new UsageError("create needs -f FILE (or use a kind's own create, e.g. raworc namespaces create NAME)");
      await runFileCommand(flags, cmd, io, undefined, "create");
    });
  withFileOptions(command, undefined);
}
