/** Percentiles and the shape of one benchmark figure's result. */

/** Percentile summary of a sample set (same unit as the samples). */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}

/** The nearest-rank percentile summary of `samples`. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  return { n: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}

/** One row of the results table: a measured figure, its same-run baseline and the target check. */
export interface FigureResult {
  /** Short name of the figure. */
  readonly name: string;
  /** Unit of the samples, e.g. "ms", "req/s", "events/s", "MB". */
  readonly unit: string;
  /** The figure's samples summarized. */
  readonly measured: Summary;
  /** The baseline measured in the same run, when the figure has one. */
  readonly baseline: Summary | undefined;
  /** What the baseline is. */
  readonly baselineLabel: string;
  /** measured p50 / baseline p50 (undefined without a baseline). */
  readonly ratio: number | undefined;
  /** The target, as the issue states it. */
  readonly target: string;
  /** Whether the target was met. */
  readonly pass: boolean;
  /** What the number means or why it missed. */
  readonly note: string;
}

/** Builds a FigureResult, computing the ratio of the p50s. */
export function figure(row: Omit<FigureResult, "ratio">): FigureResult {
  const ratio = row.baseline && row.baseline.p50 !== 0 ? row.measured.p50 / row.baseline.p50 : undefined;
  return { ...row, ratio };
}

/** Milliseconds since `start` (a performance.now() reading). */
export function since(start: number): number {
  return performance.now() - start;
}
