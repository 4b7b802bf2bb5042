/**
 * Globs of agent specs (agent.proto): "*" matches within one path segment, "**" across segments
 * (a trailing "/**" also matches the directory itself), "?" one character; everything else is
 * literal. Used for path policies (relative to the workspace) and tool-name lists.
 */

/** A compiled glob. */
export interface Glob {
  /** Whether the whole of `subject` matches. */
  test(subject: string): boolean;
  /** The literal leading segments before the first wildcard ("src/gen" for "src/gen/**"; "" when it starts with one). */
  readonly literalPrefix: string;
}

const special = /[.+^${}()|[\]\\]/g;

/** Compiles `glob` (normalised: no leading "./" or "/"). */
export function compileGlob(glob: string): Glob {
  const source = glob.replace(/^(?:\.\/)+/, "").replace(/^\/+/, "");
  let regex = "";
  for (let index = 0; index < source.length; ) {
    if (source.startsWith("**/", index)) {
      regex += "(?:.*/)?";
      index += 3;
    } else if (source.startsWith("/**", index) && index + 3 === source.length) {
      regex += "(?:/.*)?";
      index += 3;
    } else if (source.startsWith("**", index)) {
      regex += ".*";
      index += 2;
    } else {
      const char = source[index] ?? "";
      regex += char === "*" ? "[^/]*" : char === "?" ? "[^/]" : char.replace(special, "\\$&");
      index++;
    }
  }
  const compiled = new RegExp(`^${regex}$`, "s");
  const segments = source.split("/");
  const literal: string[] = [];
  for (const segment of segments) {
    if (/[*?]/.test(segment)) break;
    literal.push(segment);
  }
  // A glob without wildcards names one path: its prefix is the whole of it.
  return { test: (subject) => compiled.test(subject), literalPrefix: literal.join("/") };
}
