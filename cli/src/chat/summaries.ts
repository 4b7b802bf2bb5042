/** Short, one-line summaries of what tools were given and returned, token counts and turn lengths, for the chat's lines. */
import type { Usage } from "@raworc/proto/gen/raworc/v1/event_pb.js";
import { formatDuration } from "../durations.js";

/** Cuts text to its first line and at most `max` characters, marking any cut with "…". */
export function clip(text: string, max = 100): string {
  const lines = text.trim().split(/\r?\n/);
  const first = lines[0] ?? "";
  const cut = first.length > max ? `${first.slice(0, max - 1)}…` : first;
  return lines.length > 1 && cut === first ? `${cut} …` : cut;
}

/**
 * A tool call's arguments as `key=value` pairs (`command="ls -la" path=src`), clipped; JSON
 * that is not an object is shown as it is.
 */
export function argumentSummary(argumentsJson: string, max = 100): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson || "{}");
  } catch {
    return clip(argumentsJson, max);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return clip(argumentsJson, max);
  const pairs = Object.entries(parsed as Record<string, unknown>).map(([key, value]) => {
    const text = typeof value === "string" ? (/^[\w./:@-]+$/.test(value) ? value : JSON.stringify(value)) : JSON.stringify(value);
    return `${key}=${text}`;
  });
  return clip(pairs.join(" "), max);
}

/** Token counts as `12 in / 30 out tokens` (with cost when the agent has pricing); empty without usage. */
export function tokenSummary(usage: Usage | undefined): string {
  if (!usage) return "";
  const cost = usage.costUsd > 0 ? `, $${usage.costUsd.toFixed(4)}` : "";
  return `${usage.inputTokens} in / ${usage.outputTokens} out tokens${cost}`;
}

/** A turn's or a tool's length: tenths of a second below 10 s, kubectl style above. */
export function lengthSummary(ms: number): string {
  return ms < 10_000 ? `${(Math.max(0, ms) / 1000).toFixed(1)}s` : formatDuration(ms);
}
