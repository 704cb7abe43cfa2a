/**
 * Retry with full-jitter exponential backoff (delay = random × min(maxDelay, base × 2^(attempt-1))), the
 * scheme AWS recommends for throttled APIs: jitter spreads competing callers apart instead of having them
 * retry in lock-step and be throttled again together.
 *
 * Only retryable errors (see classifyAwsError) are retried; a permanent one is thrown on the spot. `sleep`,
 * `random` and `now` are injected so tests are instant and deterministic.
 *
 * Default budget — 5 attempts, 200 ms base, 3 s cap: the sleeps add up to at most 200+400+800+1600 = 3.0 s
 * per action. Every attempt re-reads before it writes (see converge), so one attempt is 1-3 requests, each
 * bounded by the SDK request timeout of the AWS adapters (AWS_EXECUTOR_CLIENT_CONFIG: 2 s connect, 5 s
 * request). That keeps an action well inside a 60 s reconcile Lambda even when AWS is slow, and leaves
 * anything that takes longer to clear (a long scaling activity, a Route 53 change still propagating) to the
 * next reconcile tick, which converges from whatever state the resource is in. A caller that knows its
 * invocation deadline passes `deadlineAt` and the loop never sleeps past it.
 */
import { EXECUTOR_ERROR_CODES, ExecutorError, RetryableExecutorError, classifyAwsError } from './errors';

export interface RetryInfo {
  /** The attempt that just failed (1-based). */
  attempt: number;
  /** How long the loop will sleep before the next attempt. */
  delayMs: number;
  error: ExecutorError;
}

export interface RetryOptions {
  /** Total attempts, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
  onRetry?: (info: RetryInfo) => void;
  /** Epoch milliseconds; with `deadlineAt`, no sleep may end after it. */
  now: () => number;
  /** Epoch milliseconds the caller must be done by (e.g. Lambda deadline minus a safety margin). */
  deadlineAt?: number;
  /** What is being attempted (`SetDesiredCapacity web-prod`); prefixes error messages. */
  label?: string;
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 3_000,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
});

/** Full-jitter backoff before attempt `attempt + 1`. */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
}

export async function withRetry<T>(fn: (attempt: number) => Promise<T>, overrides: Partial<RetryOptions> = {}): Promise<T> {
  const options: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...stripUndefined(overrides) };
  if (!Number.isInteger(options.attempts) || options.attempts < 1) throw new RangeError(`attempts must be a positive integer, got ${options.attempts}`);
  const { label } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (thrown) {
      const error = classifyAwsError(thrown, label);
      if (!error.retryable) throw error;
      if (attempt >= options.attempts) {
        throw new RetryableExecutorError(`${error.message} — gave up after ${attempt} attempts`, {
          cause: thrown,
          code: error.code,
          attempts: attempt,
          retryAfterMs: error.retryAfterMs,
        });
      }
      let delayMs = backoffDelay(attempt, options);
      // A server-sent Retry-After is a floor, still capped so one hint cannot stall the whole invocation.
      if (error.retryAfterMs !== undefined) delayMs = Math.max(delayMs, Math.min(error.retryAfterMs, options.maxDelayMs));
      if (options.deadlineAt !== undefined && options.now() + delayMs >= options.deadlineAt) {
        throw new RetryableExecutorError(`${error.message} — not retried: the next attempt would start after the invocation deadline`, {
          cause: thrown,
          code: EXECUTOR_ERROR_CODES.deadlineExceeded,
          attempts: attempt,
        });
      }
      options.onRetry?.({ attempt, delayMs, error });
      await options.sleep(delayMs);
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
