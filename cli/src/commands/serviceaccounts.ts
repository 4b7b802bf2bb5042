/** `raworc serviceaccounts` (alias `sa`): create, get, list, update, apply, delete service accounts, and reset their passwords. */
import { create } from "@bufbuild/protobuf";
import { ServiceAccountSchema, type ServiceAccount } from "@raworc/proto/gen/raworc/v1/service_account_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, editObject, flagObject } from "../objects/apply.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { serviceAccountKind } from "../objects/kinds/index.js";
import { setServiceAccountPassword } from "../objects/kinds/service-account.js";
import { applyLabelEdits, collect, parseLabelFlags } from "../objects/labels.js";
import { parseOutputFormat } from "../output.js";
import { prompterOf } from "../prompt.js";
import type { GlobalOptions } from "../target.js";
import { passwordFromStdin } from "./login.js";
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

/** Flags of `sa create NAME`. */
export interface ServiceAccountFlags {
  readonly namespace?: string;
  readonly description?: string;
  readonly label?: string[];
  readonly inactive?: boolean;
}

/** The account `sa create NAME` sends: active unless --inactive. */
export function serviceAccountFromFlags(name: string, flags: ServiceAccountFlags): ServiceAccount {
  return create(ServiceAccountSchema, {
    metadata: { name, namespace: namespaceFor(serviceAccountKind, flags.namespace), labels: parseLabelFlags(flags.label ?? []).set },
    description: flags.description ?? "",
    active: !flags.inactive,
  });
}

/** Flags of `sa update`. */
export interface ServiceAccountUpdateFlags {
  readonly description?: string;
  readonly label?: string[];
  readonly activate?: boolean;
  readonly deactivate?: boolean;
}

/** Changes an account's description, labels or active flag; deactivating stops its tokens at once. */
export function updateServiceAccount(conn: Connection, ref: ObjectRefText, flags: ServiceAccountUpdateFlags) {
  if (flags.activate && flags.deactivate) throw new UsageError("--activate and --deactivate exclude each other");
  const labels = parseLabelFlags(flags.label ?? [], true);
  return editObject(conn, serviceAccountKind, ref, (object) => {
    const sa = object as ServiceAccount;
    if (flags.description !== undefined) sa.description = flags.description;
    if (flags.activate) sa.active = true;
    if (flags.deactivate) sa.active = false;
    if (sa.metadata) sa.metadata.labels = applyLabelEdits(sa.metadata.labels, labels);
  });
}

/** A new password from standard input, or typed twice on the terminal. */
export async function readNewPassword(io: Io, fromStdin: boolean | undefined, who: string): Promise<string> {
  if (fromStdin) return passwordFromStdin(io);
  const prompter = prompterOf(io);
  const password = await prompter.secret(`New password for ${who}: `);
  if (!password) throw new UsageError("empty password");
  if ((await prompter.secret("Repeat it: ")) !== password) throw new UsageError("the passwords differ");
  return password;
}

const username = (ref: ObjectRefText) => (ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);

/** Adds `serviceaccounts` and its subcommands to the program. */
export function configureServiceAccountsCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, serviceAccountKind, "manage service accounts: principals that log in with a password (namespace/name, or name when global)");

  const createCommand = group
    .command("create")
    .description("create a service account from flags (password from --password-stdin or typed twice), or from -f files")
    .argument("[name]", "the account's name; it logs in as namespace/name (or name when global)")
    .option("--description <text>", "what the account is for")
    .option("--label <key=value>", "a label (repeatable)", collect)
    .option("--inactive", "create it unable to log in")
    .addHelpText("after", "\nExample:\n  echo \"$PASSWORD\" | raworc sa create alice -n team-a --password-stdin")
    .action(async (name: string | undefined, flags: ServiceAccountFlags & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, serviceAccountKind, "create");
      }
      if (name === undefined) throw new UsageError("give the account's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const item = flagObject(serviceAccountKind, serviceAccountFromFlags(name, flags));
      const password = await readNewPassword(io, flags.passwordStdin, username(refFor(serviceAccountKind, name, flags.namespace)));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item, { password }) }], io, format);
    });
  withNamespaceOption(createCommand, serviceAccountKind);
  withFileOptions(createCommand, serviceAccountKind);

  addGetCommand(group, io, serviceAccountKind);
  addListCommand(group, io, serviceAccountKind);

  const update = group
    .command("update")
    .description("change an account's description, labels or whether it may log in")
    .argument("<name>", "the account's name")
    .option("--description <text>", "new description")
    .option("--label <key=value|key->", "set a label, or remove one with key- (repeatable)", collect)
    .option("--activate", "let it log in again")
    .option("--deactivate", "stop it logging in; its tokens stop working at once")
    .action(async (name: string, flags: ServiceAccountUpdateFlags & { namespace?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const ref = refFor(serviceAccountKind, name, flags.namespace);
      await runObjectTasks([{ label: `serviceaccount/${name}`, run: () => updateServiceAccount(conn, ref, flags) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(update, serviceAccountKind);

  addApplyCommand(group, io, serviceAccountKind);

  const setPassword = group
    .command("set-password")
    .description("replace an account's password; its existing tokens stop working")
    .argument("<name>", "the account's name")
    .option("--password-stdin", "read the new password from standard input instead of prompting")
    .action(async (name: string, flags: { namespace?: string; passwordStdin?: boolean }, cmd: Command) => {
      const ref = refFor(serviceAccountKind, name, flags.namespace);
      const password = await readNewPassword(io, flags.passwordStdin, username(ref));
      await setServiceAccountPassword(await connect(cmd.optsWithGlobals<GlobalOptions>(), io), ref, password);
      io.stderr.write(`Password of ${username(ref)} replaced; its earlier tokens no longer work.\n`);
    });
  withNamespaceOption(setPassword, serviceAccountKind);

  addDeleteCommand(group, io, serviceAccountKind);
}
