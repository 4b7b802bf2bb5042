/** `raworc config`: lists, switches and deletes contexts in the config file. */
import type { Command } from "commander";
import { configPath, loadConfig, saveConfig, type CliConfig } from "../config-file.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { formatOutput, parseOutputFormat, type Table } from "../output.js";
import type { GlobalOptions } from "../target.js";

/** One context as listings show it (never with its token). */
export interface ContextSummary {
  readonly name: string;
  readonly current: boolean;
  readonly server: string;
  readonly username: string | undefined;
  readonly loggedIn: boolean;
}

/** Every context, sorted by name. */
export function getContexts(config: CliConfig): ContextSummary[] {
  return Object.entries(config.contexts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => ({ name, current: name === config.currentContext, server: c.server, username: c.username, loggedIn: Boolean(c.token) }));
}

/** The table form of a context listing, with `*` marking the current one. */
export function contextsTable(contexts: readonly ContextSummary[]): Table {
  return {
    columns: ["current", "name", "server", "username", "logged in"],
    rows: contexts.map((c) => [c.current ? "*" : "", c.name, c.server, c.username, c.loggedIn ? "yes" : "no"]),
  };
}

/** Makes a context the current one. */
export async function useContext(path: string, name: string): Promise<void> {
  const config = await loadConfig(path);
  requireContext(config, name);
  config.currentContext = name;
  await saveConfig(config, path);
}

/** Deletes a context (and its token); deleting the current one leaves none current. */
export async function deleteContext(path: string, name: string): Promise<void> {
  const config = await loadConfig(path);
  requireContext(config, name);
  delete config.contexts[name];
  if (config.currentContext === name) delete config.currentContext;
  await saveConfig(config, path);
}

function requireContext(config: CliConfig, name: string): void {
  if (!config.contexts[name]) throw new UsageError(`no context named "${name}" (see: raworc config get-contexts)`);
}

/** Adds `config` and its subcommands to the program. */
export function configureConfigCommand(program: Command, io: Io): void {
  const config = program.command("config").description(`manage contexts in the config file (RAWORC_CONFIG, default ~/.raworc/config.yaml)`);
  config
    .command("get-contexts")
    .description("list contexts")
    .action(async (_flags: unknown, command: Command) => {
      const format = parseOutputFormat(command.optsWithGlobals<GlobalOptions>().output, "table");
      const contexts = getContexts(await loadConfig(configPath(io.env)));
      io.stdout.write(formatOutput(contexts, format, contextsTable));
    });
  config
    .command("current-context")
    .description("print the current context's name")
    .action(async () => {
      const current = (await loadConfig(configPath(io.env))).currentContext;
      if (!current) throw new UsageError("no current context (log in with: raworc login)");
      io.stdout.write(`${current}\n`);
    });
  config
    .command("use-context")
    .argument("<name>", "context to make current")
    .description("make a context the current one")
    .action(async (name: string) => {
      await useContext(configPath(io.env), name);
      io.stderr.write(`Switched to context "${name}".\n`);
    });
  config
    .command("delete-context")
    .argument("<name>", "context to delete")
    .description("delete a context and its token")
    .action(async (name: string) => {
      await deleteContext(configPath(io.env), name);
      io.stderr.write(`Deleted context "${name}".\n`);
    });
}
