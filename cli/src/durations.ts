/** Durations as kubectl shows them (`5m30s`, `3d4h`) and as people type them (`90s`, `1h30m`, `2d`). */
import { UsageError } from "./errors.js";

/** kubectl's human duration: two units at most, coarser as it grows (e.g. `45s`, `5m30s`, `47h`, `3d4h`, `400d`). */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return two(minutes, "m", seconds % 60, "s");
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return two(hours, "h", minutes % 60, "m");
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return two(days, "d", hours % 24, "h");
  if (hours < 24 * 365 * 2) return `${days}d`;
  if (hours < 24 * 365 * 8) return two(Math.floor(days / 365), "y", days % 365, "d");
  return `${Math.floor(days / 365)}y`;
}

function two(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}

/** How long ago `time` was, as {@link formatDuration} shows it; `<unknown>` without a time. */
export function formatAge(time: Date | undefined, now: Date = new Date()): string {
  return time ? formatDuration(now.getTime() - time.getTime()) : "<unknown>";
}

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses a duration such as `90s`, `15m`, `1h30m`, `2d` or `1w` into milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new UsageError(`invalid duration "${text}" (e.g. 90s, 15m, 1h30m, 2d)`);
  }
  return parts.reduce((sum, p) => sum + Number(p[1]) * (unitMs[p[2] ?? ""] ?? 0), 0);
}

/** A point in time given as a duration before `now` (`1h`) or an RFC 3339 timestamp (`2030-01-02T15:04:05Z`). */
export function parseTimeFlag(text: string, flag: string, now: Date = new Date()): Date {
  if (/^\d+(?:\.\d+)?(?:ms|s|m|h|d|w)/.test(text)) {
    try {
      return new Date(now.getTime() - parseDuration(text));
    } catch {
      // Fall through to the timestamp form and its error message.
    }
  }
  // RFC 3339 only: Date.parse alone would also take "March 5" and guess a year.
  if (/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:\d{2})?)?$/.test(text)) {
    const date = new Date(text);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new UsageError(`${flag}: "${text}" is neither a duration (1h, 30m, 2d) nor an RFC 3339 time (2030-01-02T15:04:05Z)`);
}
