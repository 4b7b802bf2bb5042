/** Fault injection for the fake API server: fail, delay or reset the next N matching requests. */

/** Which requests a fault applies to; unset fields match anything. */
export interface FaultMatch {
  readonly method?: string;
  /** The resource's plural (pods, persistentvolumeclaims, secrets, volumesnapshots). */
  readonly resource?: string;
  readonly name?: string;
  /** true: watch requests only; false: everything but watches. */
  readonly watch?: boolean;
}

/** A request, as faults see it. */
export interface FaultTarget {
  readonly method: string;
  readonly resource?: string;
  readonly name?: string;
  readonly watch: boolean;
}

/** What to do to a matched request. */
export type FaultAction =
  | { readonly kind: "fail"; readonly code: number; readonly reason?: string; readonly message?: string; readonly retryAfterSeconds?: number }
  | { readonly kind: "delay"; readonly ms: number }
  | { readonly kind: "reset" };

interface Rule {
  readonly match: FaultMatch;
  readonly action: FaultAction;
  remaining: number;
}

/** Options of a failure. */
export interface FailOptions {
  readonly match?: FaultMatch;
  readonly reason?: string;
  readonly message?: string;
  /** Sent as Retry-After (and in the Status details), as the API server does for 429. */
  readonly retryAfterSeconds?: number;
}

/** Holds fault rules and applies them to requests in order. */
export class FaultInjector {
  private rules: Rule[] = [];

  /** The next `count` matching requests fail with `code` and a Kubernetes Status body. */
  failNext(count: number, code: number, options: FailOptions = {}): void {
    const { match = {}, ...rest } = options;
    this.rules.push({ match, remaining: count, action: { kind: "fail", code, ...rest } });
  }

  /** The next `count` matching requests are answered only after `ms`. */
  delayNext(count: number, ms: number, options: { readonly match?: FaultMatch } = {}): void {
    this.rules.push({ match: options.match ?? {}, remaining: count, action: { kind: "delay", ms } });
  }

  /** The next `count` matching requests have their connection destroyed without an answer. */
  resetNext(count: number, options: { readonly match?: FaultMatch } = {}): void {
    this.rules.push({ match: options.match ?? {}, remaining: count, action: { kind: "reset" } });
  }

  /** Drops every pending fault. */
  clear(): void {
    this.rules = [];
  }

  /** The faults for one request: every matching delay, then at most one failure or reset. */
  take(target: FaultTarget): FaultAction[] {
    const actions: FaultAction[] = [];
    let failed = false;
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.match, target)) continue;
      if (rule.action.kind !== "delay") {
        if (failed) continue;
        failed = true;
      }
      rule.remaining--;
      actions.push(rule.action);
    }
    this.rules = this.rules.filter((rule) => rule.remaining > 0);
    return actions.sort((a, b) => (a.kind === "delay" ? -1 : 0) - (b.kind === "delay" ? -1 : 0));
  }
}

function matches(match: FaultMatch, target: FaultTarget): boolean {
  return (
    (match.method === undefined || match.method.toUpperCase() === target.method) &&
    (match.resource === undefined || match.resource === target.resource) &&
    (match.name === undefined || match.name === target.name) &&
    (match.watch === undefined || match.watch === target.watch)
  );
}
