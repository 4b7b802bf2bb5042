/**
 * Throttles failed logins per account and per client address, so password guessing is slow
 * whether it targets one account from many places or many accounts from one place.
 */

/** Limits for {@link LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Failures allowed per account within the window before its logins are refused. */
  readonly maxFailuresPerAccount?: number;
  /** Failures allowed per client address within the window (higher: addresses are shared by NAT). */
  readonly maxFailuresPerAddress?: number;
  /** Length of the window, in milliseconds; the lockout lasts until it slides past. */
  readonly windowMs?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
}

/**
 * In-memory sliding-window counters of failed logins. Per replica: with N replicas an attacker
 * gets at most N times the budget, which keeps the guarantee meaningful without a database
 * round trip on every login.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly maxPerAccount: number;
  private readonly maxPerAddress: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: LoginThrottleOptions = {}) {
    this.maxPerAccount = options.maxFailuresPerAccount ?? 10;
    this.maxPerAddress = options.maxFailuresPerAddress ?? 50;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until a login for this account from this address is allowed again; 0 if now. */
  retryAfterMs(username: string, address: string): number {
    return Math.max(this.wait(`user:${username}`, this.maxPerAccount), this.wait(`addr:${address}`, this.maxPerAddress));
  }

  /** Records a failed login. */
  recordFailure(username: string, address: string): void {
    for (const key of [`user:${username}`, `addr:${address}`]) {
      const list = this.recent(key);
      list.push(this.now());
      this.failures.set(key, list);
    }
    if (this.failures.size > 100_000) this.prune();
  }

  /** Forgets the account's failures after a successful login (the address keeps its record). */
  recordSuccess(username: string): void {
    this.failures.delete(`user:${username}`);
  }

  private wait(key: string, max: number): number {
    const list = this.recent(key);
    if (list.length < max) return 0;
    const oldestCounted = list[list.length - max] ?? this.now();
    return Math.max(0, oldestCounted + this.windowMs - this.now());
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.failures.get(key) ?? []).filter((t) => t > cutoff);
  }

  private prune(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key).length === 0) this.failures.delete(key);
    }
  }
}
