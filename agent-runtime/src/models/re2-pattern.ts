/**
 * RE2 patterns from agent specs, run by the same RE2 engine the control plane checks them with
 * on write (@bufbuild/re2), so a pattern means the same thing in both places. Matching is RE2's
 * "anywhere in the text" (Go's MatchString), not a whole-string match.
 */
import { RE2JS } from "@bufbuild/re2";

/** Thrown for a pattern that does not compile as RE2. */
export class PatternError extends Error {
  constructor(pattern: string, reason: string) {
    super(`pattern ${JSON.stringify(pattern)} is not valid RE2: ${reason}`);
    this.name = "PatternError";
  }
}

/** A compiled pattern. */
export interface Re2Pattern {
  /** Whether the pattern matches anywhere in `text`. */
  test(text: string): boolean;
}

/** Compiles an RE2 pattern; throws PatternError when it does not compile. */
export function compileRe2(pattern: string): Re2Pattern {
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    throw new PatternError(pattern, error instanceof Error ? error.message : String(error));
  }
}
