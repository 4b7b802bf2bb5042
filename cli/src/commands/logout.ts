/** `raworc logout`: revokes the token on the server and forgets it locally. */
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { AuthService } from "@raworc/proto/gen/raworc/v1/auth_pb.js";
import type { Command } from "commander";
import { loadConfig, saveConfig } from "../config-file.js";
import type { Io } from "../io.js";
import { resolveTarget, transportFor, type GlobalOptions, type Target } from "../target.js";

/** Whether there was a token to revoke, and whether a context forgot it. */
export interface LogoutResult {
  readonly revoked: boolean;
  readonly forgotten: boolean;
}

/** Revokes the target's token (an already invalid one counts as revoked) and drops it from its context. */
export async function logout(target: Target): Promise<LogoutResult> {
  if (!target.token) return { revoked: false, forgotten: false };
  try {
    await createClient(AuthService, transportFor(target)).logout({});
  } catch (error) {
    if (!(error instanceof ConnectError && error.code === Code.Unauthenticated)) throw error;
  }
  if (target.tokenSource !== "context" || target.contextName === undefined) return { revoked: true, forgotten: false };
  const config = await loadConfig(target.configPath);
  const context = config.contexts[target.contextName];
  if (context?.token !== target.token) return { revoked: true, forgotten: false };
  delete context.token;
  await saveConfig(config, target.configPath);
  return { revoked: true, forgotten: true };
}

/** Adds `logout` to the program. */
export function configureLogoutCommand(program: Command, io: Io): void {
  program
    .command("logout")
    .description("revoke the current token and remove it from its context")
    .action(async (_flags: unknown, command: Command) => {
      const target = await resolveTarget(command.optsWithGlobals<GlobalOptions>(), io.env);
      const result = await logout(target);
      io.stderr.write(result.revoked ? `Logged out of ${target.server}.\n` : `Not logged in to ${target.server}.\n`);
    });
}
