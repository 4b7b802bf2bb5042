/** `raworc login`: exchanges a username and password for a token and saves it as a context. */
import { createClient } from "@connectrpc/connect";
import { AuthService, type Principal } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { Command } from "commander";
import { loadConfig, saveConfig, type CliConfig } from "../config-file.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { prompterOf, readAll } from "../prompt.js";
import { normalizeServer, resolveTarget, transportFor, type GlobalOptions } from "../target.js";

/** What {@link login} needs; the caller has already prompted for anything missing. */
export interface LoginOptions {
  /** Normalized server URL. */
  readonly server: string;
  readonly username: string;
  readonly password: string;
  /** Context to create or update; it becomes the current one. */
  readonly contextName: string;
  /** The config file to update. */
  readonly configPath: string;
}

/** The context that now holds the token, and who it stands for. */
export interface LoginResult {
  readonly contextName: string;
  readonly principal: Principal | undefined;
  readonly expiresAt: Date | undefined;
}

/** Logs in and saves server, username and token as the current context. */
export async function login(options: LoginOptions): Promise<LoginResult> {
  const client = createClient(AuthService, transportFor({ server: options.server, token: undefined }));
  const res = await client.login({ username: options.username, password: options.password });
  // Re-read just before writing so a concurrent change to other contexts is not lost.
  const config = await loadConfig(options.configPath);
  config.contexts[options.contextName] = { server: options.server, token: res.token, username: options.username };
  config.currentContext = options.contextName;
  await saveConfig(config, options.configPath);
  const expiresAt = res.expiresAt ? new Date(Number(res.expiresAt.seconds) * 1000) : undefined;
  return { contextName: options.contextName, principal: res.principal, expiresAt };
}

/** The context a login to `server` goes to: the named one, else the current or any other one for that server, else its host. */
export function contextNameFor(config: CliConfig, server: string, explicit: string | undefined): string {
  if (explicit) return explicit;
  const sameServer = (name: string | undefined) => name !== undefined && config.contexts[name] !== undefined && normalizeServer(config.contexts[name].server) === server;
  if (sameServer(config.currentContext)) return config.currentContext as string;
  return Object.keys(config.contexts).find(sameServer) ?? new URL(server).host;
}

/** Reads the password from stdin for --password-stdin: one trailing newline is dropped, empty is an error. */
export async function passwordFromStdin(io: Io): Promise<string> {
  const password = (await readAll(io.stdin)).replace(/\r?\n$/, "");
  if (!password) throw new UsageError("--password-stdin: standard input is empty");
  return password;
}

interface LoginFlags {
  readonly username?: string;
  readonly passwordStdin?: boolean;
}

/** Adds `login` to the program. */
export function configureLoginCommand(program: Command, io: Io): void {
  program
    .command("login")
    .description("log in to a server and save the token as the current context (--server, --context name it)")
    .option("-u, --username <name>", "account to log in as (prompted for when omitted)")
    .option("--password-stdin", "read the password from standard input instead of prompting")
    .action(async (flags: LoginFlags, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const target = await resolveTarget(globals, io.env, { newContextAllowed: true });
      const contextName = contextNameFor(target.config, target.server, globals.context);
      const previous = target.config.contexts[contextName];
      const remembered = previous && normalizeServer(previous.server) === target.server ? previous.username : undefined;
      let username = flags.username;
      if (!username && (io.prompter || (io.stdin.isTTY && !flags.passwordStdin))) {
        username = (await prompterOf(io).line(remembered ? `Username (${remembered}): ` : "Username: ")) || remembered;
      }
      username ??= remembered;
      if (!username) throw new UsageError("no username: pass --username");
      const password = flags.passwordStdin ? await passwordFromStdin(io) : await prompterOf(io).secret("Password: ");
      if (!password) throw new UsageError("empty password");
      const result = await login({ server: target.server, username, password, contextName, configPath: target.configPath });
      io.stderr.write(`Logged in to ${target.server} as ${username} (context "${result.contextName}").\n`);
    });
}
