/** The CLI's contexts file (~/.raworc/config.yaml): which servers the user logged in to, with which token. */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { parse, stringify } from "yaml";
import { UsageError } from "./errors.js";

/** One server the user talks to, and the credentials for it. */
export interface Context {
  /** Base URL of the control plane, e.g. http://127.0.0.1:9000. */
  server: string;
  /** Bearer token from the last login; absent after logout. */
  token?: string;
  /** Who logged in, for display. */
  username?: string;
}

/** The whole file: named contexts and the one used by default. */
export interface CliConfig {
  /** Name of the context used when --context is not given. */
  currentContext?: string;
  /** Contexts by name. */
  contexts: Record<string, Context>;
}

/** The config file's path: $RAWORC_CONFIG, else ~/.raworc/config.yaml. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.RAWORC_CONFIG || join(homedir(), ".raworc", "config.yaml");
}

/** Reads the config file; a missing file is an empty config, a malformed one a UsageError naming it. */
export async function loadConfig(path: string = configPath()): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { contexts: {} };
    throw error;
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid YAML: ${(error as Error).message.split("\n")[0]}`);
  }
  return normalize(raw, path);
}

/** Writes the config file atomically (temp file + rename), mode 0600 in a 0700 directory. */
export async function saveConfig(config: CliConfig, path: string = configPath()): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${randomBytes(6).toString("hex")}.tmp`);
  try {
    // The file holds bearer tokens, so it is never readable by others, not even for an instant.
    await writeFile(temp, stringify({ currentContext: config.currentContext, contexts: config.contexts }), { mode: 0o600, flag: "wx" });
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Checks the parsed YAML's shape, keeping only the fields the CLI knows. */
function normalize(raw: unknown, path: string): CliConfig {
  if (raw === null || raw === undefined) return { contexts: {} };
  const bad = (what: string) => new UsageError(`${path}: ${what}`);
  if (typeof raw !== "object" || Array.isArray(raw)) throw bad("expected a mapping at the top level");
  const { currentContext, contexts } = raw as Record<string, unknown>;
  if (currentContext !== undefined && typeof currentContext !== "string") throw bad("currentContext must be a string");
  if (contexts !== undefined && (typeof contexts !== "object" || contexts === null || Array.isArray(contexts))) {
    throw bad("contexts must be a mapping");
  }
  const out: CliConfig = { contexts: {} };
  if (currentContext) out.currentContext = currentContext;
  for (const [name, value] of Object.entries((contexts ?? {}) as Record<string, unknown>)) {
    const c = (value ?? {}) as Record<string, unknown>;
    if (typeof c.server !== "string") throw bad(`context ${name} has no server`);
    const context: Context = { server: c.server };
    if (typeof c.token === "string" && c.token) context.token = c.token;
    if (typeof c.username === "string" && c.username) context.username = c.username;
    out.contexts[name] = context;
  }
  return out;
}
