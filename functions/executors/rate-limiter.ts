/**
 * A token bucket for the Route 53 API, implemented as GCRA (the "virtual scheduling" form of a token bucket):
 * each take() reserves the next free slot synchronously, so concurrent callers queue in call order and none
 * can sneak in between another's check and its request.
 *
 * Why: Route 53 throttles the whole account — every caller, the console included — at five API requests per
 * second (HTTP 400 `Throttling: Rate exceeded`, documented in the Route 53 limits and the "avoid Route 53
 * throttling errors" knowledge-center article). Newer documentation describes larger per-account buckets,
 * but five per second is the floor every account has, and Drivetrain shares the account with DNS tooling it
 * does not know about, so it paces itself there by default. With `burst: 1` requests are spaced 1/rate
 * apart, which keeps any one-second window at or below `ratePerSecond` requests.
 *
 * The bucket is per process (one Lambda execution environment). Concurrent reconcile environments each have
 * their own; the retry on `Throttling`/`PriorRequestNotComplete` covers what pacing cannot.
 */
export interface LimiterClock {
  /** Epoch milliseconds. */
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

export interface RequestLimiter {
  /**
   * Resolves when the caller may send `requests` requests (default 1) back to back; returns how long it
   * waited (ms). The slots are reserved at call time, so later callers are paced behind them.
   */
  take(requests?: number): Promise<number>;
}

export interface TokenBucketOptions {
  ratePerSecond: number;
  /** Requests allowed back to back before pacing starts. */
  burst: number;
  clock: LimiterClock;
}

export const ROUTE53_RATE_LIMIT = Object.freeze({ ratePerSecond: 5, burst: 1 });

export const systemClock: LimiterClock = Object.freeze({
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

export class TokenBucketLimiter implements RequestLimiter {
  private readonly intervalMs: number;
  private readonly toleranceMs: number;
  /** Theoretical arrival time of the next request when the bucket is empty (GCRA's TAT). */
  private nextSlotAt = -Infinity;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0) || !Number.isFinite(options.ratePerSecond))
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    if (!Number.isInteger(options.burst) || options.burst < 1)
      throw new RangeError(`burst must be a positive integer, got ${options.burst}`);
    this.intervalMs = 1000 / options.ratePerSecond;
    this.toleranceMs = (options.burst - 1) * this.intervalMs;
  }

  async take(requests = 1): Promise<number> {
    if (!Number.isInteger(requests) || requests < 1)
      throw new RangeError(`requests must be a positive integer, got ${requests}`);
    const now = this.options.clock.now();
    // A group of n goes out back to back, so it keeps n intervals clear on both sides of its start: then
    // no one-second window can hold more than ratePerSecond requests, however groups and singles mix.
    const start = Math.max(this.nextSlotAt + (requests - 1) * this.intervalMs, now);
    this.nextSlotAt = start + requests * this.intervalMs;
    const waitMs = Math.max(0, Math.ceil(start - this.toleranceMs - now));
    if (waitMs > 0) await this.options.clock.sleep(waitMs);
    return waitMs;
  }
}

/** One limiter per process for Route 53, shared by every executor set created in it. */
let sharedRoute53Limiter: RequestLimiter | undefined;
export function defaultRoute53Limiter(): RequestLimiter {
  sharedRoute53Limiter ??= new TokenBucketLimiter({ ...ROUTE53_RATE_LIMIT, clock: systemClock });
  return sharedRoute53Limiter;
}
