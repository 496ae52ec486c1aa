/**
 * Guessing the admin token through the login form is not free: every wrong token is answered after
 * a pause, and an address that got it wrong `maxFailures` times in a row is refused outright, right
 * token or not, for `lockMs`. The count is this instance's own (in memory): behind a load balancer
 * of N instances a guesser gets N times as many tries, which against a 192-bit generated token (or
 * the 16 characters at least that PAYRAIL_ADMIN_TOKEN must have) changes nothing. Kept simple on purpose.
 */
export interface ThrottleOptions {
  readonly maxFailures: number;
  readonly lockMs: number;
  readonly failureDelayMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { maxFailures: 5, lockMs: 60_000, failureDelayMs: 300 };
const MAX_TRACKED = 10_000;

export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  lockedFor(address: string, nowMs = Date.now()): number {
    const f = this.failures.get(address);
    return f && f.lockedUntil > nowMs ? f.lockedUntil - nowMs : 0;
  }

  async failed(address: string, nowMs = Date.now()): Promise<void> {
    if (this.failures.size >= MAX_TRACKED && !this.failures.has(address)) {
      // Forget the oldest address rather than grow without bound.
      const first = this.failures.keys().next().value;
      if (first !== undefined) this.failures.delete(first);
    }
    const f = this.failures.get(address) ?? { count: 0, lockedUntil: 0 };
    f.count += 1;
    if (f.count >= this.options.maxFailures) {
      f.count = 0;
      f.lockedUntil = nowMs + this.options.lockMs;
    }
    this.failures.set(address, f);
    await new Promise((resolve) => setTimeout(resolve, this.options.failureDelayMs));
  }

  succeeded(address: string): void {
    this.failures.delete(address);
  }
}
