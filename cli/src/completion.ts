/** Tab completion for the interactive prompt: command names, subcommands, options and RPC names. */
import type { Command } from "commander";

/** What can be completed, taken from the command tree and the method registry. */
export interface CompletionSpec {
  /** Top-level words: command names and REPL words such as `help` and `exit`. */
  readonly commands: readonly string[];
  /** Subcommand names by command name. */
  readonly subcommands: ReadonlyMap<string, readonly string[]>;
  /** Options by command name, with the global ones under "". */
  readonly options: ReadonlyMap<string, readonly OptionSpec[]>;
  /** Method names for `api`: full (`raworc.v1.AuthService/WhoAmI`) and short (`AuthService/WhoAmI`). */
  readonly methods: readonly string[];
}

/** An option's flags and whether it consumes the next word. */
export interface OptionSpec {
  readonly long: string | undefined;
  readonly short: string | undefined;
  readonly takesValue: boolean;
}

/** Builds a spec from a program, so new commands complete without changes here. */
export function specFromProgram(program: Command, methods: readonly string[], extraWords: readonly string[]): CompletionSpec {
  const optionsOf = (c: Command): OptionSpec[] => c.options.map((o) => ({ long: o.long, short: o.short, takesValue: o.required || o.optional }));
  const commands = program.commands.map((c) => c.name());
  return {
    commands: [...commands, ...extraWords].sort(),
    // Aliases (`sa`, `rb`) complete like their command but are not offered as words of their own.
    subcommands: new Map(program.commands.flatMap((c) => namesOf(c).map((n): [string, string[]] => [n, c.commands.map((s) => s.name())]))),
    options: new Map([["", optionsOf(program)], ...program.commands.flatMap((c) => namesOf(c).map((n): [string, OptionSpec[]] => [n, optionsOf(c)]))]),
    methods,
  };
}

function namesOf(command: Command): string[] {
  return [command.name(), ...command.aliases()];
}

/** readline's completer contract: the candidates and the fragment they complete. */
export function completeLine(line: string, spec: CompletionSpec): [string[], string] {
  const words = line.trimStart().split(/\s+/);
  const current = words.pop() ?? "";
  const match = (candidates: readonly string[]) => [...new Set(candidates.filter((c) => c.startsWith(current)))];
  if (words.length === 0) {
    const slash = current.startsWith("/");
    return [match(spec.commands.map((c) => (slash ? `/${c}` : c))), current];
  }
  const command = (words[0] ?? "").replace(/^\//, "");
  const options = [...(spec.options.get(command) ?? []), ...(spec.options.get("") ?? [])];
  if (current.startsWith("-")) return [match(options.flatMap((o) => (o.long ? [o.long] : []))), current];
  const positionals = positionalWords(words.slice(1), options);
  if (positionals.length === 0 && command === "api") return [match(spec.methods), current];
  if (positionals.length === 0) return [match(spec.subcommands.get(command) ?? []), current];
  return [[], current];
}

/** The words that are arguments rather than options or option values. */
function positionalWords(words: readonly string[], options: readonly OptionSpec[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? "";
    if (!word.startsWith("-")) out.push(word);
    else if (!word.includes("=") && options.find((o) => o.long === word || o.short === word)?.takesValue) i++;
  }
  return out;
}
