/** Bench sizes, from the environment: BENCH_QUICK=1 for a smoke run, BENCH_SCALE, BENCH_SESSIONS and BENCH_STORED_SESSIONS and BENCH_WEBHOOK_EVENTS to resize. */

/** How big each figure's run is. */
export interface BenchSettings {
  /** A smoke run of seconds. */
  readonly quick: boolean;
  /** Cold-start samples. */
  readonly coldSamples: number;
  /** Seconds of each RPC throughput run. */
  readonly rpcSeconds: number;
  /** Concurrent RPC clients. */
  readonly rpcClients: number;
  /** First-token samples. */
  readonly turnSamples: number;
  /** Event-throughput runs, each one turn of `eventsPerTurn` text deltas. */
  readonly eventRuns: number;
  /** Text deltas in each event-throughput turn (the scripted model allows ≤ 1000 steps). */
  readonly eventsPerTurn: number;
  /** Fraction of the 1 GiB / 10,000-file remix workspace. */
  readonly scale: number;
  /** Remix samples. */
  readonly remixSamples: number;
  /** Live sessions for the control-plane memory figure. */
  readonly sessions: number;
  /** Sessions (without daemons) for the control-plane memory figure at the scale. */
  readonly storedSessions: number;
  /** Deliverable events in the webhook burst. */
  readonly webhookEvents: number;
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === "" ? Number.NaN : Number(raw);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Reads the settings from the environment. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const quick = env.BENCH_QUICK === "1";
  return {
    quick,
    coldSamples: num("BENCH_COLD_SAMPLES", quick ? 2 : 10),
    rpcSeconds: num("BENCH_RPC_SECONDS", quick ? 1 : 5),
    rpcClients: num("BENCH_RPC_CLIENTS", 64),
    turnSamples: num("BENCH_TURN_SAMPLES", quick ? 10 : 200),
    eventRuns: num("BENCH_EVENT_RUNS", quick ? 1 : 5),
    eventsPerTurn: Math.min(1000, num("BENCH_EVENTS_PER_TURN", quick ? 200 : 1000)),
    scale: num("BENCH_SCALE", quick ? 0.002 : 0.05),
    remixSamples: num("BENCH_REMIX_SAMPLES", quick ? 1 : 3),
    sessions: num("BENCH_SESSIONS", quick ? 2 : 10),
    storedSessions: num("BENCH_STORED_SESSIONS", quick ? 50 : 1000),
    webhookEvents: num("BENCH_WEBHOOK_EVENTS", quick ? 200 : 1000),
  };
}
