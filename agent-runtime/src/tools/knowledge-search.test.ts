import assert from "node:assert/strict";
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { KnowledgeSourceSchema, type KnowledgeSource } from "@raworc/proto/gen/raworc/v1/agent_pb.js";
import { bm25Scores, termStats, tokenize } from "./bm25.js";
import { chunkText, includedBy, KnowledgeIndex } from "./knowledge-index.js";
import { createKnowledgeSearchTool } from "./knowledge-search.js";
import { type TempWorkspace, tempWorkspace, toolContext } from "./test-helpers.js";

const source = (path: string, include: string[] = []): KnowledgeSource => create(KnowledgeSourceSchema, { path, include });

/** The "path:start-end" of each hit in a knowledge_search output, in rank order. */
function hitRanges(output: string): string[] {
  return [...output.matchAll(/^\d+\. (\S+) \(score/gm)].map((match) => match[1] ?? "");
}

describe("knowledge_search", () => {
  let t: TempWorkspace;

  beforeEach(async () => {
    t = await tempWorkspace();
    await mkdir(join(t.ws, "kb", "billing"), { recursive: true });
    await mkdir(join(t.ws, ".raworc"));
    await writeFile(join(t.ws, "kb", "billing", "refunds.md"), "# Refunds\nA refund is paid within 14 days.\nRefund requests need the invoice number.\n");
    await writeFile(join(t.ws, "kb", "billing", "invoices.md"), "# Invoices\nInvoices are sent monthly.\nThe invoice lists every refund too.\n");
    await writeFile(join(t.ws, "kb", "shipping.txt"), "Parcels ship in two days.\nTracking numbers come by mail.\n");
    await writeFile(join(t.ws, "kb", "binary.bin"), Buffer.from([0x72, 0x65, 0x66, 0x75, 0x6e, 0x64, 0, 1, 2]));
    await writeFile(join(t.ws, ".raworc", "conversation.jsonl"), "refund refund refund secret daemon state\n");
    await writeFile(join(t.outside, "leak.md"), "refund refund refund from outside the workspace\n");
    await symlink(t.outside, join(t.ws, "kb", "outside-link"));
  });

  afterEach(() => t.dispose());

  it("tokenises into lower-case words and ranks rare, repeated query words higher (BM25)", () => {
    assert.deepEqual(tokenize("Refund-requests: need the INVOICE, é2e x"), ["refund", "requests", "need", "the", "invoice", "é2e"]);
    const documents = ["refund refund policy", "refund policy", "shipping policy"].map(termStats);
    const [twice, once, none] = bm25Scores("refund", documents);
    assert.ok((twice ?? 0) > (once ?? 0) && (once ?? 0) > 0, `scores ${twice} ${once}`);
    assert.equal(none, 0);
    // "policy" is in three documents, "refund" in one: the rarer word weighs more.
    const [, , onlyRefund, onlyPolicy] = bm25Scores("refund policy", ["policy aa", "policy bb", "refund", "policy"].map(termStats));
    assert.ok((onlyRefund ?? 0) > (onlyPolicy ?? 0));
  });

  it("returns the best passages first with path, line range and a snippet", async () => {
    const tool = createKnowledgeSearchTool([source("kb")], new KnowledgeIndex(t.ws));
    const result = await tool.run({ query: "refund invoice number" }, toolContext(t.ws));
    assert.equal(result.status, "ok");
    assert.deepEqual(hitRanges(result.output), ["kb/billing/refunds.md:1-3", "kb/billing/invoices.md:1-3"]);
    assert.match(result.output, /^1\. kb\/billing\/refunds\.md:1-3 \(score [\d.]+\)\nA refund is paid within 14 days\.\nRefund requests/);
    const one = await tool.run({ query: "tracking", max_results: 1 }, toolContext(t.ws));
    assert.deepEqual(hitRanges(one.output), ["kb/shipping.txt:1-2"]);
    assert.match(one.output, /\nTracking numbers come by mail\./);
    assert.equal((await tool.run({ query: "warranty" }, toolContext(t.ws))).output, "no matches");
  });

  it("cuts long files into overlapping chunks and reports the chunk's lines", async () => {
    const lines = Array.from({ length: 50 }, (_, i) => (i === 41 ? "the warranty lasts two years" : `filler line ${i + 1}`));
    assert.deepEqual(
      chunkText("f", lines.join("\n")).map((chunk) => [chunk.startLine, chunk.endLine]),
      [[1, 20], [16, 35], [31, 50]],
    );
    await writeFile(join(t.ws, "kb", "long.txt"), `${lines.join("\n")}\n`);
    const tool = createKnowledgeSearchTool([source("kb")], new KnowledgeIndex(t.ws));
    const result = await tool.run({ query: "warranty" }, toolContext(t.ws));
    assert.deepEqual(hitRanges(result.output), ["kb/long.txt:31-50"]);
    assert.match(result.output, /\(score [\d.]+\)\nthe warranty lasts two years\nfiller line 43/);
  });

  it("searches only the files the include globs name (a glob without / matches the base name)", async () => {
    assert.equal(includedBy([], "any/file"), true);
    assert.equal(includedBy(["*.md"], "billing/refunds.md"), true);
    assert.equal(includedBy(["billing/*.md"], "billing/refunds.md"), true);
    assert.equal(includedBy(["billing/*.md"], "shipping.txt"), false);
    const tool = createKnowledgeSearchTool([source("kb", ["*.txt"])], new KnowledgeIndex(t.ws));
    assert.equal((await tool.run({ query: "refund" }, toolContext(t.ws))).output, "no matches");
    assert.deepEqual(hitRanges((await tool.run({ query: "parcels" }, toolContext(t.ws))).output), ["kb/shipping.txt:1-2"]);
    const refundsOnly = createKnowledgeSearchTool([source("kb", ["billing/refunds.md"])], new KnowledgeIndex(t.ws));
    assert.deepEqual(hitRanges((await refundsOnly.run({ query: "invoice" }, toolContext(t.ws))).output), ["kb/billing/refunds.md:1-3"]);
  });

  it("stays in the workspace: no symlinked directories, no .raworc/, no sources outside", async () => {
    const whole = createKnowledgeSearchTool([source(".")], new KnowledgeIndex(t.ws));
    const result = await whole.run({ query: "refund outside daemon secret" }, toolContext(t.ws));
    assert.deepEqual(hitRanges(result.output).sort(), ["kb/billing/invoices.md:1-3", "kb/billing/refunds.md:1-3"]);
    assert.doesNotMatch(result.output, /outside the workspace|daemon state/);
    for (const path of ["kb/outside-link", ".raworc", "../outside"]) {
      const escaped = await createKnowledgeSearchTool([source(path)], new KnowledgeIndex(t.ws)).run({ query: "refund" }, toolContext(t.ws));
      assert.equal(escaped.status, "refused", `${path}: ${escaped.output}`);
    }
    const missing = await createKnowledgeSearchTool([source("docs")], new KnowledgeIndex(t.ws)).run({ query: "refund" }, toolContext(t.ws));
    assert.deepEqual([missing.status, missing.output], ["ok", "no matches\n[sources not found: docs]"]);
  });

  it("indexes lazily and re-reads only files whose size or mtime changed", async () => {
    const index = new KnowledgeIndex(t.ws);
    const tool = createKnowledgeSearchTool([source("kb")], index);
    assert.equal(index.indexedCount, 0);
    await tool.run({ query: "refund" }, toolContext(t.ws));
    const first = 4;
    assert.equal(index.indexedCount, first, "each of the four files is read once");
    await tool.run({ query: "parcels" }, toolContext(t.ws));
    assert.equal(index.indexedCount, first, "unchanged files are not read again");
    await writeFile(join(t.ws, "kb", "shipping.txt"), "Parcels ship in two days.\nExpress delivery arrives tomorrow.\n");
    const changed = await tool.run({ query: "express delivery" }, toolContext(t.ws));
    assert.equal(index.indexedCount, first + 1);
    assert.deepEqual(hitRanges(changed.output), ["kb/shipping.txt:1-2"]);
    await writeFile(join(t.ws, "kb", "new.md"), "Express lanes are new.\n");
    assert.deepEqual(hitRanges((await tool.run({ query: "express" }, toolContext(t.ws))).output).sort(), ["kb/new.md:1-1", "kb/shipping.txt:1-2"]);
    assert.equal(index.indexedCount, first + 2);
  });

  it("keeps its output within the call's cap and refuses a query without words", async () => {
    const tool = createKnowledgeSearchTool([source("kb")], new KnowledgeIndex(t.ws));
    const capped = await tool.run({ query: "refund invoice" }, toolContext(t.ws, { maxOutputBytes: 60 }));
    assert.equal(capped.truncated, true);
    assert.ok(Buffer.byteLength(capped.output) < 60 + 80);
    const empty = await tool.run({ query: "?!" }, toolContext(t.ws));
    assert.deepEqual([empty.status, empty.output], ["error", "query has no words to search for"]);
  });
});
