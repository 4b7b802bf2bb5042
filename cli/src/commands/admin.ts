/** `raworc admin rotate-signing-key`: a local operation on the server's key file; no server is called. */
import { access } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { formatOutput, parseOutputFormat } from "../output.js";
import type { GlobalOptions } from "../target.js";

/** Where the key file is: `--keys-file`, else RAWORC_SIGNING_KEYS_FILE, else keys/jwks.json in the data directory. */
export interface KeyFileFlags {
  readonly dataDir?: string;
  readonly keysFile?: string;
}

/** The outcome of a rotation: the file, the new signer, and the keys that still only verify. */
export interface RotationResult {
  readonly keysFile: string;
  readonly signingKeyId: string;
  readonly verifyingKeyIds: readonly string[];
}

/** Resolves the key file as `raworc start` would (flags, then RAWORC_* variables, then the default data directory). */
export async function keysFileFor(flags: KeyFileFlags, env: NodeJS.ProcessEnv): Promise<string> {
  if (flags.dataDir && flags.keysFile) throw new UsageError("--data-dir and --keys-file exclude each other");
  if (flags.keysFile) return flags.keysFile;
  if (!flags.dataDir && env.RAWORC_SIGNING_KEYS_FILE) return env.RAWORC_SIGNING_KEYS_FILE;
  const dataDir = flags.dataDir ?? (env.RAWORC_DATA_DIR || (await import("@raworc/control-plane")).defaultDataDir());
  return join(dataDir, "keys", "jwks.json");
}

/**
 * Adds a new signing key to an existing key file and makes it the signer; the old keys keep
 * verifying. A missing file is an error rather than a new one: it most likely means the wrong
 * data directory, and a key file nobody reads would rotate nothing.
 */
export async function rotateKeys(keysFile: string): Promise<RotationResult> {
  try {
    await access(keysFile);
  } catch {
    throw new UsageError(`no key file at ${keysFile} (the server creates it on first start; pass --data-dir or --keys-file)`);
  }
  // Only this command needs the server's code, so the rest of the CLI never loads it.
  const { rotateSigningKey } = await import("@raworc/control-plane");
  let set;
  try {
    set = await rotateSigningKey(keysFile);
  } catch (error) {
    throw new UsageError(`${keysFile}: ${(error as Error).message}`);
  }
  const kids = set.keys.map((k) => k.kid ?? "");
  return { keysFile, signingKeyId: set.signingKeyId, verifyingKeyIds: kids.filter((k) => k !== set.signingKeyId) };
}

/** What the operator does next, in order. */
export function nextSteps(result: RotationResult): string {
  return [
    `Added signing key ${result.signingKeyId} to ${result.keysFile}; it signs every token issued from now on.`,
    `The older key(s) ${result.verifyingKeyIds.join(", ") || "(none)"} still verify tokens already issued.`,
    "Next:",
    "  1. Restart every control-plane server that uses this file (they read it at start).",
    "  2. After the longest token lifetime has passed (RAWORC_TOKEN_TTL_SECONDS, 12h by default),",
    `     remove the older key(s) from "keys" in ${result.keysFile} and restart again.`,
    "",
  ].join("\n");
}

/** Adds `admin` and `admin rotate-signing-key` to the program. */
export function configureAdminCommand(program: Command, io: Io): void {
  const admin = program.command("admin").description("operate on a server's local files (run on the server's host)");
  admin
    .command("rotate-signing-key")
    .description("add a new token signing key and make it the signer; old keys keep verifying until you remove them")
    .option("--data-dir <dir>", "the server's data directory (default ~/.raworc/data, env RAWORC_DATA_DIR); the keys are in keys/jwks.json")
    .option("--keys-file <file>", "the key file itself (env RAWORC_SIGNING_KEYS_FILE)")
    .action(async (flags: KeyFileFlags, cmd: Command) => {
      const format = parseOutputFormat(cmd.optsWithGlobals<GlobalOptions>().output, "table");
      const result = await rotateKeys(await keysFileFor(flags, io.env));
      if (format === "table") io.stdout.write(nextSteps(result));
      else io.stdout.write(formatOutput(result, format, () => ({ columns: [], rows: [] })));
    });
}
