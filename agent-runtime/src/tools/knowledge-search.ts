/**
 * knowledge_search: ranks the chunks of the agent's knowledge sources (files in the workspace)
 * against a query with BM25 and returns the best hits with path, line range and a snippet.
 */
import type { KnowledgeSource } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { bm25Scores, tokenize } from "./bm25.js";
import type { KnowledgeChunk, KnowledgeIndex } from "./knowledge-index.js";
import { runTool, textResult } from "./run-tool.js";
import { argsObject, optionalInt, requiredString } from "./tool-args.js";
import { ToolInputError } from "../errors.js";
import type { Tool } from "./tool.js";

/** Most hits one search returns. */
const maxHits = 20;
/** Hits returned when the model does not say. */
const defaultHits = 5;
/** Lines of a chunk shown in a hit's snippet. */
const snippetLines = 8;
/** Longest snippet line shown, in characters. */
const maxLineChars = 240;

/** One ranked hit. */
export interface KnowledgeHit {
  readonly chunk: KnowledgeChunk;
  readonly score: number;
}

/** The `limit` best chunks for `query`, best first; chunks sharing no query word are never hits. */
export function rankChunks(query: string, chunks: readonly KnowledgeChunk[], limit: number): KnowledgeHit[] {
  const scores = bm25Scores(query, chunks);
  const hits: KnowledgeHit[] = [];
  chunks.forEach((chunk, index) => {
    const score = scores[index] ?? 0;
    if (score > 0) hits.push({ chunk, score });
  });
  hits.sort((a, b) => b.score - a.score || a.chunk.path.localeCompare(b.chunk.path) || a.chunk.startLine - b.chunk.startLine);
  return hits.slice(0, limit);
}

/** The snippet of a hit: a few lines from the first that holds a query word. */
export function snippet(chunk: KnowledgeChunk, query: string): string {
  const words = new Set(tokenize(query));
  const first = Math.max(0, chunk.lines.findIndex((line) => tokenize(line).some((token) => words.has(token))));
  return chunk.lines
    .slice(first, first + snippetLines)
    .map((line) => (line.length > maxLineChars ? `${line.slice(0, maxLineChars)}…` : line))
    .join("\n");
}

/** Creates knowledge_search over `sources`, using (and updating) `index`. */
export function createKnowledgeSearchTool(sources: readonly KnowledgeSource[], index: KnowledgeIndex): Tool {
  const described = sources.map((source) => `${source.path}${source.description ? ` (${source.description})` : ""}`).join("; ");
  return {
    name: "knowledge_search",
    description: `Search the agent's knowledge base by keywords and get the best matching passages with file path and line range. Sources: ${described || "none"}.`,
    parameters: {
      type: "object",
      properties: {
        query: { type: "string", description: "Keywords to look for." },
        max_results: { type: "integer", minimum: 1, maximum: maxHits, description: `How many passages to return; default ${defaultHits}.` },
      },
      required: ["query"],
      additionalProperties: false,
    },
    run: (args, ctx) =>
      runTool(ctx, async () => {
        const a = argsObject(args);
        const query = requiredString(a, "query");
        if (tokenize(query).length === 0) throw new ToolInputError("query has no words to search for");
        const limit = optionalInt(a, "max_results", 1, maxHits) ?? defaultHits;
        const corpus = await index.corpus(sources, ctx.signal);
        const hits = rankChunks(query, corpus.chunks, limit);
        const notes = [
          ...(corpus.missing.length > 0 ? [`[sources not found: ${corpus.missing.join(", ")}]`] : []),
          ...(corpus.truncated ? ["[the knowledge base has more files than one search covers; some were skipped]"] : []),
        ];
        if (hits.length === 0) return textResult(ctx, ["no matches", ...notes].join("\n"));
        const blocks = hits.map(
          ({ chunk, score }, rank) => `${rank + 1}. ${chunk.path}:${chunk.startLine}-${chunk.endLine} (score ${score.toFixed(2)})\n${snippet(chunk, query)}`,
        );
        return textResult(ctx, [...blocks, ...notes].join("\n\n"));
      }),
  };
}
