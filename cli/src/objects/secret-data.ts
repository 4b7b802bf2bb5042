/** Secret values from flags: `--from-literal KEY=VALUE`, `--from-file [KEY=]PATH`, `--from-env-file PATH`, as kubectl reads them. */
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { TextDecoder } from "node:util";
import { UsageError } from "../errors.js";

/** The flags that carry values. */
export interface SecretDataFlags {
  readonly fromLiteral?: readonly string[];
  readonly fromFile?: readonly string[];
  readonly fromEnvFile?: readonly string[];
}

const keyPattern = /^[-._a-zA-Z0-9]+$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Reads every value the flags name into one map; a key given twice is an error. `warn` hears about values that may not be what was meant. */
export async function secretDataFromFlags(flags: SecretDataFlags, warn: (message: string) => void): Promise<Record<string, string>> {
  const data: Record<string, string> = {};
  const put = (key: string, value: string, from: string, empty: string) => {
    if (!keyPattern.test(key)) throw new UsageError(`${from}: invalid key "${key}" (letters, digits, "-", "_" and "." only)`);
    if (key in data) throw new UsageError(`${from}: key "${key}" is given more than once`);
    // The server refuses it too; said here, the message can name where the empty value came from.
    if (value === "") throw new UsageError(`${from}: ${empty}; a secret value may not be empty`);
    data[key] = value;
  };
  for (const literal of flags.fromLiteral ?? []) {
    const eq = literal.indexOf("=");
    if (eq <= 0) throw new UsageError(`--from-literal "${literal.split("=")[0]}…": use KEY=VALUE`);
    const key = literal.slice(0, eq);
    put(key, literal.slice(eq + 1), "--from-literal", `the value of ${key} is empty (is the variable it came from unset?)`);
  }
  if (flags.fromLiteral?.length) warn("--from-literal values end up in your shell history and process list; prefer --from-file or --from-env-file");
  for (const spec of flags.fromFile ?? []) {
    const eq = spec.indexOf("=");
    const path = eq > 0 ? spec.slice(eq + 1) : spec;
    const key = eq > 0 ? spec.slice(0, eq) : basename(path);
    const value = await readText(path, "--from-file");
    if (value.endsWith("\n")) warn(`--from-file ${path}: the value of ${key} ends with a newline, which is kept`);
    put(key, value, `--from-file ${path}`, `the file is empty (the value of ${key})`);
  }
  for (const path of flags.fromEnvFile ?? []) {
    for (const [key, value] of parseEnvFile(await readText(path, "--from-env-file"), path)) put(key, value, `--from-env-file ${path}`, `the value of ${key} is empty`);
  }
  return data;
}

/**
 * Parses an env file: `KEY=VALUE` per line; blank lines and `#` comments skipped; an optional
 * `export ` prefix; one pair of matching quotes around a value removed, as dotenv files expect.
 */
export function parseEnvFile(text: string, path: string): [string, string][] {
  const out: [string, string][] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([^=\s]+)\s*=(.*)$/.exec(line);
    if (!match) throw new UsageError(`--from-env-file ${path}:${i + 1}: expected KEY=VALUE`);
    const value = (match[2] ?? "").trim();
    const quoted = /^(["'])(.*)\1$/.exec(value);
    out.push([match[1] ?? "", quoted ? (quoted[2] ?? "") : value]);
  });
  return out;
}

async function readText(path: string, flag: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message}`);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    throw new UsageError(`${flag} ${path}: not UTF-8 text (secret values are strings)`);
  }
}
