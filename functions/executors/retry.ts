/**
 * Retry with full-jitter exponential backoff (delay = random × min(maxDelay, base × 2^(attempt-1))), the
 * scheme AWS recommends for throttled APIs: jitter spreads competing callers apart instead of having them
 * retry in lock-step and be throttled again together.
 *
 * Only retryable errors (see classifyAwsError) are retried; a permanent one is thrown on the spot. `sleep`,
 * `random` and `now` are injected so tests are instant and deterministic.
 *
 * Three budgets bound the sleeping, whichever runs out first:
 *   - per call of withRetry (one action, one observe): 5 attempts and at most `budgetMs` = 3 s of sleep in
 *     total, a server's Retry-After included. Backoff alone stays inside it (200+400+800+1600 = 3.0 s at
 *     most); a Retry-After longer than what is left is not waited for at all: the action gives up at once
 *     (code RetryBudgetExhausted) and the next reconcile tries again, which is what the hint asks for anyway.
 *   - per invocation (`invocationBudget`, shared by every action of one Lambda invocation): see
 *     INVOCATION_RETRY_BUDGET_MS.
 *   - the invocation's deadline (`deadlineAt`): no attempt starts and no sleep ends after it.
 * Every attempt re-reads before it writes (see converge), so one attempt is 1-3 requests, each bounded by the
 * SDK request timeout of the AWS adapters (AWS_EXECUTOR_CLIENT_CONFIG: 2 s connect, 5 s request). Anything
 * that takes longer to clear (a long scaling activity, a Route 53 change still propagating) is left to the
 * next reconcile, which converges from whatever state the resource is in.
 */
import { EXECUTOR_ERROR_CODES, type ExecutorError, RetryableExecutorError, classifyAwsError } from '../ports';

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
  /** Total sleep allowed for this call of withRetry, Retry-After included. */
  budgetMs: number;
  /** Sleep allowance shared by every withRetry of one invocation; each sleep is charged to it. */
  invocationBudget?: RetryBudget;
}

/** One action's sleep budget: what full-jitter backoff over 5 attempts can add up to at most. */
export const ACTION_RETRY_BUDGET_MS = 3_000;

/**
 * What one invocation may spend sleeping between retries, over all its actions: one action's full budget
 * (3 s) for each target reconciled at once (DEFAULT_TARGET_CONCURRENCY in functions/handlers/common.ts, 4). A fault that outlasts that is
 * not one action's bad luck but the account's control plane pushing back (throttling shared by every caller);
 * the remaining actions then try once each and give up cleanly, and the next reconcile tries again, rather
 * than one invocation spending its time, and the API quota the account shares, on retries.
 */
export const INVOCATION_RETRY_BUDGET_MS = 4 * ACTION_RETRY_BUDGET_MS;

/** A sleep allowance shared by the retries of one invocation. */
export class RetryBudget {
  private spentMs = 0;
  constructor(readonly totalMs: number) {
    if (!(totalMs >= 0))
      throw new RangeError(`a retry budget must be a non-negative number of milliseconds, got ${totalMs}`);
  }
  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.spentMs);
  }
  charge(ms: number): void {
    this.spentMs += ms;
  }
}

export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 3_000,
  budgetMs: ACTION_RETRY_BUDGET_MS,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  now: Date.now,
});

/** Full-jitter backoff before attempt `attempt + 1`. */
export function backoffDelay(
  attempt: number,
  options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>,
): number {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(options.random() * ceiling);
}

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  overrides: Partial<RetryOptions> = {},
): Promise<T> {
  const options: RetryOptions = { ...DEFAULT_RETRY_OPTIONS, ...stripUndefined(overrides) };
  if (!Number.isInteger(options.attempts) || options.attempts < 1)
    throw new RangeError(`attempts must be a positive integer, got ${options.attempts}`);
  const { label } = options;
  if (options.deadlineAt !== undefined && options.now() >= options.deadlineAt) {
    // Nothing is sent: a request started now could not be followed by marking its outcome.
    throw new RetryableExecutorError(`${label ? `${label}: ` : ''}not attempted: the invocation deadline has passed`, {
      code: EXECUTOR_ERROR_CODES.deadlineExceeded,
      attempts: 0,
    });
  }
  let sleptMs = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (thrown) {
      const error = classifyAwsError(thrown, label);
      if (!error.retryable) throw error;
      const stop = (why: string, code: string) =>
        new RetryableExecutorError(`${error.message} — ${why}`, {
          cause: thrown,
          code,
          attempts: attempt,
          retryAfterMs: error.retryAfterMs,
        });
      if (attempt >= options.attempts) {
        throw new RetryableExecutorError(`${error.message} — gave up after ${attempt} attempts`, {
          cause: thrown,
          code: error.code,
          attempts: attempt,
          retryAfterMs: error.retryAfterMs,
        });
      }
      const leftMs = Math.min(options.budgetMs - sleptMs, options.invocationBudget?.remainingMs ?? Infinity);
      let delayMs = backoffDelay(attempt, options);
      if (error.retryAfterMs !== undefined) {
        // A server-sent Retry-After is a floor: retrying sooner only earns the same answer. Waited for only
        // when it fits the budget; otherwise the next reconcile is the retry.
        if (error.retryAfterMs > leftMs)
          throw stop(
            `not retried: AWS asks to wait ${error.retryAfterMs} ms, ${Math.max(0, leftMs)} ms of the retry budget are left`,
            EXECUTOR_ERROR_CODES.retryBudgetExhausted,
          );
        delayMs = Math.max(delayMs, error.retryAfterMs);
      }
      if (leftMs <= 0) throw stop(`not retried: the retry budget is spent`, EXECUTOR_ERROR_CODES.retryBudgetExhausted);
      delayMs = Math.min(delayMs, leftMs);
      if (options.deadlineAt !== undefined && options.now() + delayMs >= options.deadlineAt) {
        throw stop(
          'not retried: the next attempt would start after the invocation deadline',
          EXECUTOR_ERROR_CODES.deadlineExceeded,
        );
      }
      options.onRetry?.({ attempt, delayMs, error });
      sleptMs += delayMs;
      options.invocationBudget?.charge(delayMs);
      await options.sleep(delayMs);
    }
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
