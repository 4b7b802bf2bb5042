/**
 * Lexical ranking for knowledge_search: text is cut into lower-case word tokens, and chunks are
 * ranked against a query with Okapi BM25 (k1 = 1.2, b = 0.75), the usual baseline of lexical
 * search engines: rare query words weigh more, repeats saturate, long chunks are discounted.
 */

/** BM25 term-frequency saturation. */
const k1 = 1.2;
/** BM25 length normalisation. */
const b = 0.75;

/** A chunk's term frequencies and length in tokens. */
export interface TermStats {
  readonly terms: ReadonlyMap<string, number>;
  readonly length: number;
}

/** The word tokens of `text`: runs of letters and digits, lower-cased; single characters are dropped as noise. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    if (match[0].length > 1) tokens.push(match[0]);
  }
  return tokens;
}

/** The term statistics of `text`. */
export function termStats(text: string): TermStats {
  const terms = new Map<string, number>();
  const tokens = tokenize(text);
  for (const token of tokens) terms.set(token, (terms.get(token) ?? 0) + 1);
  return { terms, length: tokens.length };
}

/** BM25 scores of `documents` for `query` (the same order); a document sharing no query term scores 0. */
export function bm25Scores(query: string, documents: readonly TermStats[]): number[] {
  const queryTerms = [...new Set(tokenize(query))];
  const count = documents.length;
  if (count === 0 || queryTerms.length === 0) return documents.map(() => 0);
  const averageLength = documents.reduce((sum, document) => sum + document.length, 0) / count || 1;
  const idf = new Map<string, number>();
  for (const term of queryTerms) {
    const containing = documents.reduce((n, document) => (document.terms.has(term) ? n + 1 : n), 0);
    // The "plus one" form keeps idf positive even for a term in most chunks.
    idf.set(term, Math.log(1 + (count - containing + 0.5) / (containing + 0.5)));
  }
  return documents.map((document) => {
    let score = 0;
    for (const term of queryTerms) {
      const frequency = document.terms.get(term) ?? 0;
      if (frequency === 0) continue;
      const norm = frequency + k1 * (1 - b + (b * document.length) / averageLength);
      score += (idf.get(term) ?? 0) * ((frequency * (k1 + 1)) / norm);
    }
    return score;
  });
}
