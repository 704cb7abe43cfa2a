import { EXECUTOR_ERROR_CODES, PermanentExecutorError, RetryableExecutorError } from '../../../functions/ports';
import {
  backoffDelay,
  DEFAULT_RETRY_OPTIONS,
  RetryBudget,
  withRetry,
  type RetryInfo,
  type RetryOptions,
} from '../../../functions/executors/retry';
import { sdkErrors } from './sdk-errors';

/** Instant, deterministic retry options: sleeps are recorded against a fake clock, never awaited for real. */
function fakeRetry(overrides: Partial<RetryOptions> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const sleeps: number[] = [];
  const retries: RetryInfo[] = [];
  const options: Partial<RetryOptions> = {
    sleep: async (ms) => {
      sleeps.push(ms);
      clock.now += ms;
    },
    random: () => 0.5,
    now: () => clock.now,
    onRetry: (info) => retries.push(info),
    ...overrides,
  };
  return { options, sleeps, retries, clock };
}

function failingThen<T>(errors: unknown[], value: T) {
  const fn = jest.fn(async (attempt: number) => {
    const error = errors[attempt - 1];
    if (error !== undefined) throw error;
    return value;
  });
  return fn;
}

describe('withRetry', () => {
  it('retries throttling twice then returns the one successful result', async () => {
    const { options, sleeps, retries } = fakeRetry();
    const fn = failingThen([sdkErrors.route53Throttling(), sdkErrors.route53Throttling()], 'applied');
    await expect(withRetry(fn, options)).resolves.toBe('applied');
    expect(fn).toHaveBeenCalledTimes(3);
    // full jitter with random 0.5: half of 200·2^0 and 200·2^1
    expect(sleeps).toEqual([100, 200]);
    expect(retries.map((r) => [r.attempt, r.delayMs, r.error.code])).toEqual([
      [1, 100, 'ThrottlingException'],
      [2, 200, 'ThrottlingException'],
    ]);
  });

  it('throws a permanent error at once, without sleeping', async () => {
    const { options, sleeps } = fakeRetry();
    const fn = failingThen([sdkErrors.autoScalingValidation()], 'never');
    const error = await withRetry(fn, { ...options, label: 'SetDesiredCapacity web-prod' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentExecutorError);
    expect((error as PermanentExecutorError).code).toBe('ValidationError');
    expect((error as Error).message).toMatch(/^SetDesiredCapacity web-prod: ValidationError: Desired capacity:50/);
    expect(fn).toHaveBeenCalledTimes(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up after the attempt budget with a RetryableExecutorError that keeps the cause', async () => {
    const { options, sleeps } = fakeRetry({ attempts: 3 });
    const last = sdkErrors.scalingActivityInProgress();
    const fn = failingThen(
      [sdkErrors.scalingActivityInProgress(), sdkErrors.scalingActivityInProgress(), last],
      'never',
    );
    const error = (await withRetry(fn, options).catch((e: unknown) => e)) as RetryableExecutorError;
    expect(error).toBeInstanceOf(RetryableExecutorError);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(last);
    expect(error.attempts).toBe(3);
    expect(error.code).toBe('ScalingActivityInProgressFault');
    expect(error.message).toMatch(/gave up after 3 attempts$/);
    expect(fn).toHaveBeenCalledTimes(3);
    expect(sleeps).toHaveLength(2);
  });

  it('passes its own typed errors through: a permanent one thrown by fn is not retried', async () => {
    const { options } = fakeRetry();
    const own = new PermanentExecutorError('desired 50 exceeds MaxSize 40', {
      code: EXECUTOR_ERROR_CODES.desiredAboveMaxSize,
    });
    const fn = jest.fn(async () => {
      throw own;
    });
    await expect(withRetry(fn, options)).rejects.toBe(own);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it.each([
    // attempt, random, expected delay (base 200, cap 3000)
    [1, 0.999, 199],
    [2, 0.999, 399],
    [4, 0.999, 1598],
    [5, 0.999, 2997],
    [9, 0.999, 2997],
    [3, 0, 0],
  ])('backoff after attempt %i with random %d is %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, { ...DEFAULT_RETRY_OPTIONS, random: () => random })).toBe(expected);
  });

  it('keeps the default worst-case sleep within its documented 3 s budget', async () => {
    const { options, sleeps } = fakeRetry({ random: () => 0.999999 });
    const fn = jest.fn(async () => {
      throw sdkErrors.autoScalingThrottling();
    });
    await expect(withRetry(fn, { ...options, attempts: DEFAULT_RETRY_OPTIONS.attempts })).rejects.toBeInstanceOf(
      RetryableExecutorError,
    );
    expect(fn).toHaveBeenCalledTimes(5);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(3_000);
  });

  it('waits at least a server Retry-After while it fits the budget, and gives up at once when it does not', async () => {
    const { options, sleeps } = fakeRetry({ random: () => 0 });
    const fn = failingThen([sdkErrors.lambdaTooManyRequests('2'), sdkErrors.lambdaTooManyRequests('60')], 'ok');
    const error = (await withRetry(fn, options).catch((e: unknown) => e)) as RetryableExecutorError;
    expect(sleeps).toEqual([2000]);
    expect(error).toBeInstanceOf(RetryableExecutorError);
    expect(error.code).toBe(EXECUTOR_ERROR_CODES.retryBudgetExhausted);
    expect(error.retryAfterMs).toBe(60_000);
    expect(fn).toHaveBeenCalledTimes(2);
  });

  it('Retry-After 10 s on every attempt: not one 10 s sleep, and never more than the 3 s action budget', async () => {
    const { options, sleeps } = fakeRetry({ random: () => 0.999999 });
    const fn = jest.fn(async () => {
      throw sdkErrors.lambdaTooManyRequests('10');
    });
    await expect(withRetry(fn, options)).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.retryBudgetExhausted,
      retryable: true,
    });
    expect(sleeps).toEqual([]);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('clips the backoff to what is left of the action budget, then stops', async () => {
    const { options, sleeps } = fakeRetry({ random: () => 0.999999, budgetMs: 500 });
    const fn = jest.fn(async () => {
      throw sdkErrors.autoScalingThrottling();
    });
    await expect(withRetry(fn, options)).rejects.toMatchObject({ code: EXECUTOR_ERROR_CODES.retryBudgetExhausted });
    expect(sleeps).toEqual([199, 301]);
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('shares one invocation budget across calls: once it is spent, later calls try once and stop', async () => {
    const budget = new RetryBudget(1_000);
    const { options, sleeps } = fakeRetry({ random: () => 0.999999, invocationBudget: budget });
    const throttled = () =>
      jest.fn(async () => {
        throw sdkErrors.autoScalingThrottling();
      });
    const first = throttled();
    await expect(withRetry(first, options)).rejects.toMatchObject({ code: EXECUTOR_ERROR_CODES.retryBudgetExhausted });
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(budget.remainingMs).toBe(0);
    const second = throttled();
    await expect(withRetry(second, options)).rejects.toMatchObject({ code: EXECUTOR_ERROR_CODES.retryBudgetExhausted });
    expect(second).toHaveBeenCalledTimes(1);
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(1_000);
  });

  it('sends nothing once the deadline has passed', async () => {
    const { options, clock } = fakeRetry();
    const fn = jest.fn(async () => 'never');
    await expect(withRetry(fn, { ...options, deadlineAt: clock.now })).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.deadlineExceeded,
      attempts: 0,
    });
    expect(fn).not.toHaveBeenCalled();
  });

  it('does not sleep past the deadline', async () => {
    const { options, sleeps, clock } = fakeRetry();
    const fn = failingThen([sdkErrors.route53Throttling(), sdkErrors.route53Throttling()], 'ok');
    const error = (await withRetry(fn, { ...options, deadlineAt: clock.now + 150 }).catch(
      (e: unknown) => e,
    )) as RetryableExecutorError;
    expect(error).toBeInstanceOf(RetryableExecutorError);
    expect(error.code).toBe(EXECUTOR_ERROR_CODES.deadlineExceeded);
    expect(error.attempts).toBe(2);
    expect(sleeps).toEqual([100]);
  });

  it('rejects a nonsensical attempt budget', async () => {
    await expect(withRetry(async () => 1, { attempts: 0 })).rejects.toBeInstanceOf(RangeError);
  });
});
