/**
 * The subcommands every object group shares (`get`, `list`, `delete`, `apply`), and the pieces
 * each group's `create` uses: the `-n` flag, refs, reading `-f` files and running the tasks.
 */
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { applyObject, createObject, deleteObject } from "../objects/apply.js";
import { defaultNamespace, objectLabel, refOf, type Connection, type CreateExtras, type ObjectKind, type ObjectRefText, type StoredObject } from "../objects/kind.js";
import { serviceAccountKind } from "../objects/kinds/index.js";
import { listAll } from "../objects/list-all.js";
import type { ManifestObject } from "../objects/manifest.js";
import { readManifestFiles } from "../objects/manifest-files.js";
import { renderObjects } from "../objects/render.js";
import { collect } from "../objects/labels.js";
import { parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";
import { passwordFromStdin } from "./login.js";
import { runObjectTasks, type ObjectTask } from "./run-objects.js";

/** `-n` as commands receive it. */
export interface NamespaceFlags {
  readonly namespace?: string;
}

/** Flags of `-f` runs. */
export interface FileFlags extends NamespaceFlags {
  readonly filename?: string[];
  readonly passwordStdin?: boolean;
  readonly allowPasswordInFile?: boolean;
}

/** Creates a group command (`raworc roles`) with its aliases. */
export function objectGroupCommand(program: Command, kind: ObjectKind, description: string): Command {
  return program.command(kind.plural).aliases(kind.aliases).description(description);
}

/** Adds `-n, --namespace` to a subcommand of a namespaced kind. */
export function withNamespaceOption(command: Command, kind: ObjectKind): Command {
  if (kind.namespaced === "never") return command;
  const fallback = kind.namespaced === "required" ? `default: ${defaultNamespace}` : "default: none, a global object";
  return command.option("-n, --namespace <namespace>", `namespace (${fallback})`);
}

/** The namespace a named object is looked up in: `-n`, else "default" for kinds that need one, else global. */
export function namespaceFor(kind: ObjectKind, namespace: string | undefined): string {
  if (kind.namespaced === "never") return "";
  return namespace ?? (kind.namespaced === "required" ? defaultNamespace : "");
}

/** The ref of a named object given `-n`. */
export function refFor(kind: ObjectKind, name: string, namespace: string | undefined): ObjectRefText {
  return { namespace: namespaceFor(kind, namespace), name };
}

/** Fetches named objects, in the order given. */
export async function getObjects(conn: Connection, kind: ObjectKind, refs: readonly ObjectRefText[]): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  for (const ref of refs) out.push(await kind.get(conn, ref));
  return out;
}

/** Adds `-f` (repeatable) and, when files may hold service accounts, the password flags. */
export function withFileOptions(command: Command, kind: ObjectKind | undefined): Command {
  command.option("-f, --filename <file>", "YAML or JSON file, directory, or - for standard input (repeatable)", collect);
  if (kind === undefined || kind === serviceAccountKind) {
    command
      .option("--password-stdin", "read the initial password of new service accounts from standard input")
      .option("--allow-password-in-file", "let ServiceAccount documents carry a password field");
  }
  return command;
}

/** Reads the `-f` files and the password for their new service accounts. */
export async function readFileFlags(flags: FileFlags, io: Io, onlyKind: ObjectKind | undefined): Promise<{ items: ManifestObject[]; extras: CreateExtras }> {
  const files = flags.filename ?? [];
  if (flags.passwordStdin && files.includes("-")) throw new UsageError("--password-stdin and -f - both want standard input; put the objects in a file");
  const items = await readManifestFiles(files, io, {
    ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
    ...(onlyKind ? { onlyKind } : {}),
    allowPasswords: flags.allowPasswordInFile ?? false,
  });
  const extras = flags.passwordStdin ? { password: await passwordFromStdin(io) } : {};
  return { items, extras };
}

/** Creates or applies file objects, one task each. */
export function fileTasks(conn: Connection, items: readonly ManifestObject[], extras: CreateExtras, mode: "create" | "apply"): ObjectTask[] {
  const run = mode === "create" ? createObject : applyObject;
  return items.map((item) => ({ label: `${item.origin} (${objectLabel(item.kind, refOf(item.object))})`, run: () => run(conn, item, extras) }));
}

/** Runs `create -f` or `apply -f` for a group (only its kind) or for the top-level command (any kind). */
export async function runFileCommand(flags: FileFlags, command: Command, io: Io, kind: ObjectKind | undefined, mode: "create" | "apply"): Promise<void> {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const format = parseOutputFormat(globals.output, "table");
  const { items, extras } = await readFileFlags(flags, io, kind);
  const conn = await connect(globals, io);
  await runObjectTasks(fileTasks(conn, items, extras, mode), io, format);
}

/** Adds `get NAME...`. */
export function addGetCommand(group: Command, io: Io, kind: ObjectKind): void {
  const command = group
    .command("get")
    .description(`show ${kind.plural} by name`)
    .argument("<name...>", `${kind.singular} names`)
    .action(async (names: string[], flags: NamespaceFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const objects = await getObjects(await connect(globals, io), kind, names.map((n) => refFor(kind, n, flags.namespace)));
      io.stdout.write(renderObjects(kind, objects, format, names.length === 1));
    });
  withNamespaceOption(command, kind);
}

interface ListFlags extends NamespaceFlags {
  readonly allNamespaces?: boolean;
  readonly selector?: string;
}

/** Adds `list`: every page, one namespace or all of them, filtered by labels. */
export function addListCommand(group: Command, io: Io, kind: ObjectKind): void {
  const command = group
    .command("list")
    .alias("ls")
    .description(`list ${kind.plural}${kind.namespaced === "never" ? "" : " (in every namespace you may see unless -n is given)"}`)
    .option("-l, --selector <selector>", "label selector, e.g. team=a,env!=prod")
    .action(async (flags: ListFlags, cmd: Command) => {
      if (flags.allNamespaces && flags.namespace !== undefined) throw new UsageError("-n and -A exclude each other");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const namespace = flags.allNamespaces ? "" : (flags.namespace ?? "");
      const objects = await listAll(await connect(globals, io), kind, { namespace, labelSelector: flags.selector ?? "" });
      if (format === "table" && objects.length === 0) {
        io.stderr.write(`No ${kind.plural} found${namespace ? ` in namespace ${namespace}` : ""}.\n`);
        return;
      }
      io.stdout.write(renderObjects(kind, objects, format, false));
    });
  if (kind.namespaced !== "never") {
    command.option("-n, --namespace <namespace>", "only this namespace").option("-A, --all-namespaces", "every namespace you may see (the default)");
  }
}

interface DeleteFlags extends NamespaceFlags {
  readonly force?: boolean;
}

/** Adds `delete NAME...`; namespaces also take `--force`. */
export function addDeleteCommand(group: Command, io: Io, kind: ObjectKind, forceHelp?: string): void {
  const command = group
    .command("delete")
    .alias("rm")
    .description(`delete ${kind.plural} by name`)
    .argument("<name...>", `${kind.singular} names`)
    .action(async (names: string[], flags: DeleteFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const format = parseOutputFormat(globals.output, "table");
      const conn = await connect(globals, io);
      const tasks = names.map((name) => {
        const ref = refFor(kind, name, flags.namespace);
        return { label: objectLabel(kind, ref), run: () => deleteObject(conn, kind, ref, { force: flags.force ?? false }) };
      });
      await runObjectTasks(tasks, io, format);
    });
  withNamespaceOption(command, kind);
  if (forceHelp) command.option("--force", forceHelp);
}

/** Adds `apply -f FILE`: create what is missing, update what exists. */
export function addApplyCommand(group: Command, io: Io, kind: ObjectKind): void {
  const command = group
    .command("apply")
    .description(`create ${kind.plural} from files, or update the fields the files set on those that exist`)
    .action(async (flags: FileFlags, cmd: Command) => {
      if (!flags.filename?.length) throw new UsageError("apply needs -f FILE");
      await runFileCommand(flags, cmd, io, kind, "apply");
    });
  withNamespaceOption(command, kind);
  withFileOptions(command, kind);
}
