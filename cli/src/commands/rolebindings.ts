/** `raworc rolebindings` (aliases `rb`, `rolebinding`): grant roles to service accounts, users and groups. */
import { create } from "@bufbuild/protobuf";
import { RoleBindingSchema, RoleScope, RoleScopeSchema, SubjectKind, SubjectSchema, type RoleBinding, type Subject } from "@raworc/proto/gen/raworc/v1/rbac_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, editObject, flagObject } from "../objects/apply.js";
import { enumChoices, parseEnum } from "../objects/enums.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { roleBindingKind } from "../objects/kinds/index.js";
import { applyLabelEdits, collect, collectList, parseLabelFlags } from "../objects/labels.js";
import { formatSubject, parseServiceAccountSubject, parseSubject } from "../objects/subjects.js";
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

/** Flags naming subjects. */
export interface SubjectFlags {
  readonly serviceaccount?: string[];
  readonly user?: string[];
  readonly group?: string[];
  readonly subject?: string[];
}

/** Flags of `rolebindings create NAME`. */
export interface RoleBindingFlags extends SubjectFlags {
  readonly namespace?: string;
  readonly role?: string;
  readonly roleScope?: string;
  readonly globalRole?: boolean;
  readonly label?: string[];
}

/** The subjects the flags name, in flag order: service accounts, users, groups, then --subject. */
export function subjectsFromFlags(flags: SubjectFlags): Subject[] {
  return [
    ...(flags.serviceaccount ?? []).map(parseServiceAccountSubject),
    ...(flags.user ?? []).map((name) => create(SubjectSchema, { kind: SubjectKind.USER, name })),
    ...(flags.group ?? []).map((name) => create(SubjectSchema, { kind: SubjectKind.GROUP, name })),
    ...(flags.subject ?? []).map(parseSubject),
  ];
}

/** Where the role is looked up: --role-scope or --global-role; by default the binding's own namespace, or global for a global binding. */
export function roleScopeFromFlags(flags: Pick<RoleBindingFlags, "roleScope" | "globalRole">, namespace: string): RoleScope {
  const named = flags.roleScope === undefined ? undefined : (parseEnum(RoleScopeSchema, flags.roleScope, "--role-scope") as RoleScope);
  if (flags.globalRole && named !== undefined && named !== RoleScope.GLOBAL) throw new UsageError("--global-role contradicts --role-scope");
  if (flags.globalRole) return RoleScope.GLOBAL;
  return named ?? (namespace ? RoleScope.NAMESPACE : RoleScope.GLOBAL);
}

/** A bare `--serviceaccount alice` names the global account, never the binding namespace's; say so when that may not be what was meant. */
export function bareAccountWarnings(flags: Pick<RoleBindingFlags, "serviceaccount" | "namespace">): string[] {
  if (!flags.namespace) return [];
  return (flags.serviceaccount ?? [])
    .filter((text) => !/[/:]/.test(text))
    .map((text) => `--serviceaccount ${text} is the global account "${text}"; for the one in namespace ${flags.namespace}, write ${flags.namespace}/${text}`);
}

/** The binding `rolebindings create NAME` sends. */
export function roleBindingFromFlags(name: string, flags: RoleBindingFlags): RoleBinding {
  if (!flags.role) throw new UsageError("--role is required");
  const subjects = subjectsFromFlags(flags);
  if (subjects.length === 0) throw new UsageError("name at least one subject: --serviceaccount NAMESPACE/NAME, --user NAME, --group NAME or --subject KIND:NAME");
  const namespace = namespaceFor(roleBindingKind, flags.namespace);
  return create(RoleBindingSchema, {
    metadata: { name, namespace, labels: parseLabelFlags(flags.label ?? []).set },
    roleRef: { name: flags.role, scope: roleScopeFromFlags(flags, namespace) },
    subjects,
  });
}

/** Adds the subjects the flags name (if not there yet), removes those named by --remove-subject, and edits labels. */
export function updateRoleBinding(conn: Connection, ref: ObjectRefText, flags: SubjectFlags & { removeSubject?: string[]; label?: string[] }) {
  const added = subjectsFromFlags(flags);
  const removed = new Set((flags.removeSubject ?? []).map((s) => formatSubject(parseSubject(s))));
  const labels = parseLabelFlags(flags.label ?? [], true);
  return editObject(conn, roleBindingKind, ref, (object) => {
    const binding = object as RoleBinding;
    const present = new Set(binding.subjects.map(formatSubject));
    binding.subjects = [...binding.subjects, ...added.filter((s) => !present.has(formatSubject(s)))].filter((s) => !removed.has(formatSubject(s)));
    if (binding.metadata) binding.metadata.labels = applyLabelEdits(binding.metadata.labels, labels);
  });
}

function withSubjectOptions(command: Command): Command {
  return command
    .option("--serviceaccount <namespace/name>", "a service account subject: namespace/name, or name for a global one (comma-separated, repeatable)", collectList)
    .option("--user <name>", "a user subject (repeatable)", collect)
    .option("--group <name>", "a group subject (repeatable)", collect)
    .option("--subject <kind:name>", "any subject, e.g. ServiceAccount:team-a/alice, User:bob, Group:devs (repeatable)", collect);
}

/** Adds `rolebindings` and its subcommands to the program. */
export function configureRoleBindingsCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, roleBindingKind, "manage role bindings: grants of a role to subjects, in a namespace or (without -n) everywhere");

  const createCommand = withSubjectOptions(
    group
      .command("create")
      .description("bind a role to subjects from flags, or create bindings from -f files")
      .argument("[name]", "the binding's name")
      .option("--role <name>", "the role to grant")
      .option("--role-scope <scope>", `where the role lives: ${enumChoices(RoleScopeSchema).join(" or ").toLowerCase()} (default: the binding's namespace; global for a global binding)`)
      .option("--global-role", "the role is a global one, such as the default roles admin, developer, operator and viewer (= --role-scope global)"),
  )
    .option("--label <key=value>", "a label (repeatable)", collect)
    .addHelpText("after", "\nExample:\n  raworc rolebindings create alice-dev -n team-a --role developer --role-scope global --serviceaccount team-a/alice")
    .action(async (name: string | undefined, flags: RoleBindingFlags & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, roleBindingKind, "create");
      }
      if (name === undefined) throw new UsageError("give the binding's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      for (const warning of bareAccountWarnings(flags)) io.stderr.write(`warning: ${warning}\n`);
      const item = flagObject(roleBindingKind, roleBindingFromFlags(name, flags));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(createCommand, roleBindingKind);
  withFileOptions(createCommand, roleBindingKind);

  addGetCommand(group, io, roleBindingKind);
  addListCommand(group, io, roleBindingKind);

  const update = withSubjectOptions(
    group
      .command("update")
      .description("add subjects to a binding (the flags of create), remove some, or edit labels; its role cannot change")
      .argument("<name>", "the binding's name"),
  )
    .option("--remove-subject <kind:name>", "a subject to remove, e.g. ServiceAccount:team-a/alice (repeatable)", collect)
    .option("--label <key=value|key->", "set a label, or remove one with key- (repeatable)", collect)
    .action(async (name: string, flags: SubjectFlags & { namespace?: string; removeSubject?: string[]; label?: string[] }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const ref = refFor(roleBindingKind, name, flags.namespace);
      await runObjectTasks([{ label: `rolebinding/${name}`, run: () => updateRoleBinding(conn, ref, flags) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(update, roleBindingKind);

  addApplyCommand(group, io, roleBindingKind);
  addDeleteCommand(group, io, roleBindingKind);
}
