/** `raworc namespaces` (alias `ns`): create, get, list and delete the namespaces objects live in. */
import { create } from "@bufbuild/protobuf";
import { NamespaceSchema, type Namespace } from "@raworc/proto/gen/raworc/v1/namespace_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, flagObject } from "../objects/apply.js";
import { namespaceKind } from "../objects/kinds/index.js";
import { collect, parseLabelFlags } from "../objects/labels.js";
import { parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";
import { addApplyCommand, addDeleteCommand, addGetCommand, addListCommand, objectGroupCommand, runFileCommand, withFileOptions, type FileFlags } from "./object-commands.js";
import { runObjectTasks } from "./run-objects.js";

/** The namespace `namespaces create NAME` sends. */
export function namespaceFromFlags(name: string, flags: { label?: string[] }): Namespace {
  return create(NamespaceSchema, { metadata: { name, labels: parseLabelFlags(flags.label ?? []).set } });
}

/** Adds `namespaces` and its subcommands to the program. */
export function configureNamespacesCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, namespaceKind, "manage namespaces: the scopes that service accounts, roles, bindings, secrets, agents and sessions live in");

  const createCommand = group
    .command("create")
    .description("create a namespace, or namespaces from -f files")
    .argument("[name]", "the namespace's name")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .action(async (name: string | undefined, flags: { label?: string[] } & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, namespaceKind, "create");
      }
      if (name === undefined) throw new UsageError("give the namespace's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const item = flagObject(namespaceKind, namespaceFromFlags(name, flags));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item) }], io, parseOutputFormat(globals.output, "table"));
    });
  withFileOptions(createCommand, namespaceKind);

  addGetCommand(group, io, namespaceKind);
  addListCommand(group, io, namespaceKind);
  addApplyCommand(group, io, namespaceKind);
  addDeleteCommand(group, io, namespaceKind, "terminate the namespace's live sessions instead of refusing");
}
