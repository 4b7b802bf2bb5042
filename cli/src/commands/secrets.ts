/** `raworc secrets` (alias `secret`): namespaced key/value maps whose values are write-only. */
import { create } from "@bufbuild/protobuf";
import { SecretSchema, type Secret } from "@raworc/proto/gen/raworc/v1/secret_pb.js";
import type { Command } from "commander";
import { connect } from "../connection.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { createObject, editObject, flagObject } from "../objects/apply.js";
import type { Connection, ObjectRefText } from "../objects/kind.js";
import { secretKind } from "../objects/kinds/index.js";
import { applyLabelEdits, collect, collectList, parseLabelFlags } from "../objects/labels.js";
import { secretDataFromFlags, type SecretDataFlags } from "../objects/secret-data.js";
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

/** Flags of `secrets create NAME` and `secrets update NAME`. */
export interface SecretFlags extends SecretDataFlags {
  readonly namespace?: string;
  readonly type?: string;
  readonly label?: string[];
  readonly removeKey?: string[];
}

/** The secret `secrets create NAME` sends, its values read from the flags (`warn` hears about literals in shell history). */
export async function secretFromFlags(name: string, flags: SecretFlags, warn: (message: string) => void): Promise<Secret> {
  const data = await secretDataFromFlags(flags, warn);
  if (Object.keys(data).length === 0) throw new UsageError("give the values: --from-file KEY=PATH, --from-env-file PATH or --from-literal KEY=VALUE");
  return create(SecretSchema, {
    metadata: { name, namespace: namespaceFor(secretKind, flags.namespace), labels: parseLabelFlags(flags.label ?? []).set },
    type: flags.type ?? "",
    data,
  });
}

/** Sets the keys the flags give, removes those named by --remove-key, and changes type and labels; other keys keep their values. */
export async function updateSecret(conn: Connection, ref: ObjectRefText, flags: SecretFlags, warn: (message: string) => void) {
  const data = await secretDataFromFlags(flags, warn);
  const labels = parseLabelFlags(flags.label ?? [], true);
  return editObject(
    conn,
    secretKind,
    ref,
    (object) => {
      const secret = object as Secret;
      secret.data = data;
      if (flags.type !== undefined) secret.type = flags.type;
      if (secret.metadata) secret.metadata.labels = applyLabelEdits(secret.metadata.labels, labels);
    },
    { removeKeys: flags.removeKey ?? [] },
  );
}

function withValueOptions(command: Command): Command {
  return command
    .option("--from-file <[key=]path>", "a value from a file, exactly as stored (key: the file's name unless given; repeatable)", collect)
    .option("--from-env-file <path>", "values from KEY=VALUE lines (# comments, optional quotes; repeatable)", collect)
    .option("--from-literal <key=value>", "a value on the command line; it lands in shell history (repeatable)", collect)
    .option("--type <type>", "what the secret holds, for people and tools (default Opaque)");
}

/** Adds `secrets` and its subcommands to the program. */
export function configureSecretsCommand(program: Command, io: Io): void {
  const group = objectGroupCommand(program, secretKind, "manage secrets: namespaced values such as LLM API keys; values are write-only, listings show key names");
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);

  const createCommand = withValueOptions(
    group
      .command("create")
      .description("create a secret from files, an env file or literals, or secrets from -f files")
      .argument("[name]", "the secret's name"),
  )
    .option("--label <key=value>", "a label (repeatable)", collect)
    .addHelpText("after", "\nExamples:\n  raworc secrets create openai -n team-a --from-file OPENAI_API_KEY=./openai.key\n  raworc secrets create llm -n team-a --from-env-file ./llm.env")
    .action(async (name: string | undefined, flags: SecretFlags & FileFlags, cmd: Command) => {
      if (flags.filename?.length) {
        if (name !== undefined) throw new UsageError("give either a NAME or -f FILE, not both");
        return runFileCommand(flags, cmd, io, secretKind, "create");
      }
      if (name === undefined) throw new UsageError("give the secret's NAME, or -f FILE");
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const item = flagObject(secretKind, await secretFromFlags(name, flags, warn));
      const conn = await connect(globals, io);
      await runObjectTasks([{ label: item.origin, run: () => createObject(conn, item) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(createCommand, secretKind);
  withFileOptions(createCommand, secretKind);

  addGetCommand(group, io, secretKind);
  addListCommand(group, io, secretKind);

  const update = withValueOptions(
    group
      .command("update")
      .description("set or replace some keys' values, remove keys, or change type and labels; keys not mentioned keep their values")
      .argument("<name>", "the secret's name"),
  )
    .option("--remove-key <keys>", "keys to remove (comma-separated, repeatable)", collectList)
    .option("--label <key=value|key->", "set a label, or remove one with key- (repeatable)", collect)
    .action(async (name: string, flags: SecretFlags, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const conn = await connect(globals, io);
      const ref = refFor(secretKind, name, flags.namespace);
      await runObjectTasks([{ label: `secret/${name}`, run: () => updateSecret(conn, ref, flags, warn) }], io, parseOutputFormat(globals.output, "table"));
    });
  withNamespaceOption(update, secretKind);

  addApplyCommand(group, io, secretKind);
  addDeleteCommand(group, io, secretKind);
}
