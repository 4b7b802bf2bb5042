/** `raworc roles` (alias `role`): create, get, list, update, apply and delete roles. */
import { create } from "@bufbuild/protobuf";
import { RoleSchema, type Role } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, editObject, flagObject } from "../objects/apply.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { roleKind } from "../objects/kinds/index.js";
import { applyLabelEdits, collect, collectList, parseLabelFlags } from "../objects/labels.js";
import { rulesFromFlags } from "../objects/rules.js";
import { parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";
import {
  addApplyCommand,
  addDeleteCommand,
  addGetCommand,
  addListCommand,
  namespaceFor,
  objectGroupCommand,
  refFor,
  runFileCommand,
  withFileOptions,
  withNamespaceOption,
  type FileFlags,
} from "./object-commands.js";
import { runObjectTasks } from "./run-objects.js";

/** Flags that describe a role's one rule, as `roles create` and `roles update` take them. */
export interface RoleFlags {
  readonly namespace?: string;
  readonly verb?: string[];
  readonly resource?: string[];
  readonly apiGroup?: string[];
  readonly resourceName?: string[];
  readonly description?: string;
  readonly label?: string[];
}

/** The role `roles create NAME` sends: global unless -n, with the rules the flags describe. */
export function roleFromFlags(name: string, flags: RoleFlags): Role {
  return create(RoleSchema, {
    metadata: { name, namespace: namespaceFor(roleKind, flags.namespace), labels: parseLabelFlags(flags.label ?? []).set },
    description: flags.description ?? "",
    rules: rulesFromFlags({ verbs: flags.verb ?? [], resources: flags.resource ?? [], apiGroups: flags.apiGroup ?? [], resourceNames: flags.resourceName ?? [] }),
  });
}

/** Changes a role's description and labels, and replaces its rules when --verb or --resource is given. */
export function updateRole(conn: Connection, ref: ObjectRefText, flags: RoleFlags) {
  const replacesRules = Boolean(flags.verb?.length || flags.resource?.length || flags.apiGroup?.length || flags.resourceName?.length);
  const rules = replacesRules
    ? rulesFromFlags({ verbs: flags.verb ?? [], resources: flags.resource ?? [], apiGroups: flags.apiGroup ?? [], resourceNames: flags.resourceName ?? [] })
    : undefined;
  const labels = parseLabelFlags(flags.label ?? [], true);
  return editObject(conn, roleKind, ref, (object) => {
    const role = object as Role;
    if (flags.description !== undefined) role.description = flags.description;
    if (rules) role.rules = rules;
    if (role.metadata) role.metadata.labels = applyLabelEdits(role.metadata.labels, labels);
  });
}

function withRuleOptions(command: Command): Command {
  return command
    .option("--verb <verbs>", "verbs the rule allows: get, list, watch, create, update, delete, escalate, bind or * (comma-separated, repeatable)", collectList)
    .option("--resource <resources>", "resources, e.g. sessions, sessions/messages, */messages or * (comma-separated, repeatable)", collectList)
    .option("--api-group <groups>", "API groups (default: each resource's own: rbac for roles and rolebindings, audit for auditevents, else core)", collectList)
    .option("--resource-name <names>", "limit the rule to these object names (default: any)", collectList)
    .option("--description <text>", "what the role is for");
}

/** Adds `roles` and its subcommands to the program. */
export function configureRolesCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, roleKind, "manage roles: named sets of allow rules, global or in a namespace");

  const createCommand = withRuleOptions(
    group
      .command("create")
      .description("create a role from flags (one rule per API group), or from -f files")
      .argument("[name]", "the role's name"),
  )
    .option("--label <key=value>", "a label (repeatable)", collect)
    .addHelpText("after", "\nExamples:\n  raworc roles create session-reader -n team-a --verb get,list --resource sessions,sessions/events\n  raworc roles create -f roles.yaml")
    .action(async (name: string | undefined, flags: RoleFlags & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, roleKind, "create");
      }
      if (name === undefined) throw new UsageError("give the role's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const item = flagObject(roleKind, roleFromFlags(name, flags));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(createCommand, roleKind);
  withFileOptions(createCommand, roleKind);

  addGetCommand(group, io, roleKind);
  addListCommand(group, io, roleKind);

  const update = withRuleOptions(
    group
      .command("update")
      .description("change a role's description or labels; --verb/--resource replace all its rules (for several rules, use apply -f)")
      .argument("<name>", "the role's name"),
  )
    .option("--label <key=value|key->", "set a label, or remove one with key- (repeatable)", collect)
    .action(async (name: string, flags: RoleFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const ref = refFor(roleKind, name, flags.namespace);
      await runObjectTasks([{ label: `role/${name}`, run: () => updateRole(conn, ref, flags) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(update, roleKind);

  addApplyCommand(group, io, roleKind);
  addDeleteCommand(group, io, roleKind);
}
