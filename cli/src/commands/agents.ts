/** `raworc agents` (alias `agent`): agent specs, written as YAML or JSON files and sent with -f. */
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { agentKind } from "../objects/kinds/index.js";
import {
  addApplyCommand,
  addDeleteCommand,
  addGetCommand,
  addListCommand,
  objectGroupCommand,
  runFileCommand,
  withFileOptions,
  withNamespaceOption,
  type FileFlags,
} from "./object-commands.js";

const example = [
  "",
  "An agent file (provider and other enums may use short names; field names camelCase or snake_case):",
  "  kind: Agent",
  "  metadata: {name: greeter}",
  "  spec:",
  "    model:",
  "      provider: scripted",
  "      scripted: {turns: [{steps: [{text: Hello!}]}]}",
  "",
  "Examples:",
  "  raworc agents create -f docs/examples/scripted-agent.yaml -n team-a",
  "  raworc agents get greeter -n team-a -o yaml > greeter.yaml; $EDITOR greeter.yaml; raworc agents apply -f greeter.yaml",
].join("\n");

/** Adds `agents` and its subcommands to the program. */
export function configureAgentsCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, agentKind, "manage agents: namespaced specs of a model, its instructions, tools, guardrails and routing, which sessions run");

  const createCommand = group
    .command("create")
    .description("create agents from -f files (an agent's spec is too rich for flags)")
    .addHelpText("after", example)
    .action(async (flags: FileFlags, cmd: Command) => {
      if (!flags.filename?.length) throw new UsageError("agents are created from files: raworc agents create -f agent.yaml (see raworc agents create --help)");
      await runFileCommand(flags, cmd, io, agentKind, "create");
    });
  withNamespaceOption(createCommand, agentKind);
  withFileOptions(createCommand, agentKind);

  addGetCommand(group, io, agentKind);
  addListCommand(group, io, agentKind);
  addApplyCommand(group, io, agentKind);
  addDeleteCommand(group, io, agentKind);
}
