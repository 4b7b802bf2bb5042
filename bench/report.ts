/** Renders bench results: a Markdown table for the terminal and README, JSON, and an SVG bar chart of ratios. */
import { mkdir, writeFile } from "node:fs/promises";
import { arch, cpus, totalmem } from "node:os";
import { join } from "node:path";
import type { FigureResult } from "./stats.js";

function fmt(value: number): string {
  if (!Number.isFinite(value)) return "—";
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(Math.abs(value) >= 10 ? 1 : 2);
}

/** The machine a run happened on. */
export function machine(): string {
  return `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"} (${arch()}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, ${new Date().toISOString()}`;
}

/** A Markdown table of the results. */
export function table(results: readonly FigureResult[]): string {
  const rows = results.map((r) => {
    const m = `${fmt(r.measured.p50)} / ${fmt(r.measured.p95)} / ${fmt(r.measured.p99)}`;
    const b = r.baseline ? `${fmt(r.baseline.p50)} / ${fmt(r.baseline.p95)} / ${fmt(r.baseline.p99)} (${r.baselineLabel})` : "—";
    const ratio = r.ratio === undefined ? "—" : `${fmt(r.ratio)}×`;
    return `| ${r.name} | ${r.unit} | ${m} | ${b} | ${ratio} | ${r.target} | ${r.pass ? "pass" : "**miss**"} | ${r.note} |`;
  });
  return ["| figure | unit | p50 / p95 / p99 | baseline p50 / p95 / p99 | ratio (p50) | target | result | note |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An SVG bar chart: each figure's p50 and its baseline's p50, bars scaled per row. */
export function chart(results: readonly FigureResult[]): string {
  const rowHeight = 44;
  const width = 900;
  const left = 330;
  const barMax = width - left - 150;
  const parts = results.map((r, i) => {
    const y = 30 + i * rowHeight;
    const max = Math.max(r.measured.p50, r.baseline?.p50 ?? 0) || 1;
    const bar = (value: number, dy: number, color: string, label: string) =>
      `<rect x="${left}" y="${y + dy}" width="${((value / max) * barMax).toFixed(1)}" height="14" fill="${color}"/>` +
      `<text x="${left + (value / max) * barMax + 6}" y="${y + dy + 11}" font-size="11">${escapeXml(`${fmt(value)} ${r.unit}${label}`)}</text>`;
    return (
      `<text x="10" y="${y + 18}" font-size="12" fill="${r.pass ? "#1a7f37" : "#cf222e"}">${escapeXml(`${r.pass ? "✓" : "✗"} ${r.name}`)}</text>` +
      bar(r.measured.p50, 2, "#0969da", "") +
      (r.baseline ? bar(r.baseline.p50, 18, "#8c959f", " (baseline)") : "")
    );
  });
  const height = 40 + results.length * rowHeight;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif"><text x="10" y="18" font-size="13">raworc bench — p50, measured (blue) vs baseline (grey)</text>${parts.join("")}</svg>\n`;
}

/** Writes latest.json and latest.svg under `dir`. */
export async function writeResults(dir: string, results: readonly FigureResult[], settings: unknown): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "latest.json"), JSON.stringify({ machine: machine(), settings, results }, null, 2) + "\n");
  await writeFile(join(dir, "latest.svg"), chart(results));
}
