/** The `raworc` command tree: global options and every command, wired to one Io. */
import { Command, Option } from "commander";
import { configureAdminCommand } from "./commands/admin.js";
import { configureAgentsCommand } from "./commands/agents.js";
import { configureApiCommand } from "./commands/api.js";
import { configureApplyCommand } from "./commands/apply.js";
import { configureAuditCommand } from "./commands/audit.js";
import { configureAuthCommand } from "./commands/auth.js";
import { configureChatCommand } from "./commands/chat.js";
import { configureCreateCommand } from "./commands/create.js";
import { configureDeleteCommand } from "./commands/delete.js";
import { configureNamespacesCommand } from "./commands/namespaces.js";
import { configureRoleBindingsCommand } from "./commands/rolebindings.js";
import { configureRolesCommand } from "./commands/roles.js";
import { configureSecretsCommand } from "./commands/secrets.js";
import { configureServiceAccountsCommand } from "./commands/serviceaccounts.js";
import { configureSessionsCommand } from "./commands/sessions.js";
import { configureConfigCommand } from "./commands/config.js";
import { configureLoginCommand } from "./commands/login.js";
import { configureLogoutCommand } from "./commands/logout.js";
import { configureStartCommand } from "./commands/start.js";
import { configureWebhooksCommand } from "./commands/webhooks.js";
import { configureWhoamiCommand } from "./commands/whoami.js";
import type { Io } from "./io.js";
import { outputFormats } from "./output.js";
import packageJson from "../package.json" with { type: "json" };

/** Builds a fresh program whose output goes to `io` and whose errors are thrown, never exit the process. */
export function createProgram(io: Io): Command {
  const program = new Command("raworc")
    .description("Raworc: run AI agents in isolated sessions.\nWith no arguments on a terminal, opens an interactive prompt.")
    .version(packageJson.version, "-v, --version")
    .addOption(new Option("-o, --output <format>", "output format (default: table, json for api)").choices(outputFormats))
    .option("--server <url>", "server URL (env RAWORC_SERVER; default: the context's, else http://127.0.0.1:9000)")
    .option("--context <name>", "context from the config file to use (default: the current one)")
    .configureHelp({ showGlobalOptions: true })
    // Set before any command is added, so every subcommand inherits them.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`raworc: ${text.replace(/^error: /, "")}`),
    })
    .addHelpText(
      "after",
      "\nChat: `raworc chat --agent NAME` creates a session and chats in it; `raworc chat SESSION` attaches to one\n(replies stream as they come; see `raworc chat --help`).\n\nEnvironment: RAWORC_CONFIG (config file), RAWORC_SERVER, RAWORC_TOKEN.",
    );
  configureStartCommand(program);
  configureLoginCommand(program, io);
  configureLogoutCommand(program, io);
  configureWhoamiCommand(program, io);
  configureConfigCommand(program, io);
  configureNamespacesCommand(program, io);
  configureServiceAccountsCommand(program, io);
  configureRolesCommand(program, io);
  configureRoleBindingsCommand(program, io);
  configureSecretsCommand(program, io);
  configureAgentsCommand(program, io);
  configureSessionsCommand(program, io);
  configureWebhooksCommand(program, io);
  configureChatCommand(program, io);
  configureCreateCommand(program, io);
  configureApplyCommand(program, io);
  configureDeleteCommand(program, io);
  configureAuthCommand(program, io);
  configureAuditCommand(program, io);
  configureAdminCommand(program, io);
  configureApiCommand(program, io);
  return program;
}
