/**
 * Where an RE2 pattern of a spec matches, for redaction. @bufbuild/re2 only answers whether a
 * pattern matches, so match positions come from the same pattern run as a JavaScript RegExp:
 * RE2 syntax has no back-references or look-around, so the two agree on what matches once the
 * few RE2-only spellings are translated. RE2 still decides whether there is a match at all; a
 * pattern JavaScript cannot run, or that RE2 matches but JavaScript does not, redacts the whole
 * text instead (failing closed).
 */
import { compileRe2, type Re2Pattern } from "../models/re2-pattern.js";

/** A half-open range [start, end) of a text. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** A spec pattern that can say where it matches. */
export interface SpanPattern {
  /** The spans of every non-overlapping match in `text`, left to right. */
  spans(text: string): Span[];
}

/** The RE2 pattern as a JavaScript source and flags, or undefined when it uses what JavaScript lacks. */
function translate(source: string): { source: string; flags: string } | undefined {
  let flags = "";
  let body = source;
  // Leading flag groups such as (?i) or (?is) apply to the whole pattern.
  const leading = /^\(\?([imsU]+)\)/.exec(body);
  if (leading?.[1]) {
    if (leading[1].includes("U")) return undefined;
    flags += leading[1];
    body = body.slice(leading[0].length);
  }
  if (/\(\?[imsU-]+[:)]/.test(body) || /\[\[:/.test(body)) return undefined;
  body = body
    .replace(/\\Q([\s\S]*?)(?:\\E|$)/g, (_, literal: string) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&"))
    .replaceAll("(?P<", "(?<")
    .replaceAll("\\A", "^")
    .replaceAll("\\z", "$(?![\\s\\S])")
    .replace(/\\([pP])([A-Za-z])/g, "\\$1{$2}");
  return { source: body, flags };
}

/** Compiles an RE2 pattern for span search; throws PatternError when it is not RE2. */
export function compileSpanPattern(pattern: string): SpanPattern {
  const re2: Re2Pattern = compileRe2(pattern);
  const translated = translate(pattern);
  let regex: RegExp | undefined;
  for (const extra of ["u", ""]) {
    if (regex || !translated) break;
    try {
      regex = new RegExp(translated.source, `g${translated.flags}${extra}`);
    } catch {
      regex = undefined;
    }
  }
  return {
    spans(text) {
      if (!re2.test(text)) return [];
      const spans: Span[] = regex ? spansOf(regex, text) : [];
      return spans.length > 0 ? spans : [{ start: 0, end: text.length }];
    },
  };
}

/** The spans of every match of global `regex` in `text` (empty matches skipped). */
export function spansOf(regex: RegExp, text: string, accept?: (match: string) => boolean): Span[] {
  const spans: Span[] = [];
  regex.lastIndex = 0;
  for (const match of text.matchAll(regex)) {
    if (match[0] === "" || (accept && !accept(match[0]))) continue;
    spans.push({ start: match.index, end: match.index + match[0].length });
  }
  return spans;
}
