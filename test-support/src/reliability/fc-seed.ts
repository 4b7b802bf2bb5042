/** The fast-check settings every hostile-input property shares: a fixed seed by default (FC_SEED overrides), printed on failure. */
import type { Parameters } from "fast-check";

/** The seed: FC_SEED when set, else a fixed one, so a run is reproducible by default. */
export const fcSeed = process.env.FC_SEED === undefined || process.env.FC_SEED === "" ? 20_260_701 : Number(process.env.FC_SEED);

/** Parameters for fc.assert with `numRuns` runs; fast-check reports the seed and the shrunk counterexample on failure. */
export function fcParameters<T>(numRuns: number): Parameters<T> {
  return { seed: fcSeed, numRuns, verbose: 1, endOnFailure: true };
}
