import type { Action } from '../../../functions/domain/model';
import { createExecutors } from '../../../functions/executors';
import { EXECUTOR_ERROR_CODES, PermanentExecutorError, RetryableExecutorError } from '../../../functions/ports';
import { TokenBucketLimiter } from '../../../functions/executors/rate-limiter';
import type { AutoScalingGroupCapacity } from '../../../functions/ports';
import {
  asgTarget,
  FakeApplicationAutoScaling,
  FakeAutoScaling,
  FakeClock,
  FakeProvisionedConcurrency,
  FakeWeightedRouting,
  instantRetry,
  lambdaTarget,
} from './fakes';
import { sdkErrors } from './sdk-errors';

const ACTION_ID = 'web-asg:42#0';

function setup(group: AutoScalingGroupCapacity | undefined) {
  const clock = new FakeClock();
  const autoScaling = new FakeAutoScaling();
  if (group) autoScaling.groups.set('web-prod', group);
  const executors = createExecutors(
    {
      autoScaling,
      applicationAutoScaling: new FakeApplicationAutoScaling(),
      provisionedConcurrency: new FakeProvisionedConcurrency(),
      weightedRouting: new FakeWeightedRouting(),
    },
    { retry: instantRetry(clock), route53Limiter: new TokenBucketLimiter({ ratePerSecond: 5, burst: 1, clock }) },
  );
  return { executor: executors['ec2-asg'], autoScaling, clock };
}

const setCapacity = (desired: number, floor: number): Action => ({ type: 'set-capacity', desired, floor });

describe('ec2-asg executor: apply', () => {
  it.each<
    [string, AutoScalingGroupCapacity, Action, string[], 'applied' | 'unchanged', string, AutoScalingGroupCapacity]
  >([
    [
      'skips when desired and floor already match',
      { desired: 4, min: 2, max: 40 },
      setCapacity(4, 2),
      [],
      'unchanged',
      'web-prod already at DesiredCapacity 4, MinSize 2 (MaxSize 40)',
      { desired: 4, min: 2, max: 40 },
    ],
    [
      'scales out with SetDesiredCapacity when the floor stays',
      { desired: 4, min: 2, max: 40 },
      setCapacity(12, 2),
      ['SetDesiredCapacity web-prod 12'],
      'applied',
      'SetDesiredCapacity web-prod 4→12',
      { desired: 12, min: 2, max: 40 },
    ],
    [
      'scales in with SetDesiredCapacity when the floor stays',
      { desired: 12, min: 2, max: 40 },
      setCapacity(6, 2),
      ['SetDesiredCapacity web-prod 6'],
      'applied',
      'SetDesiredCapacity web-prod 12→6',
      { desired: 6, min: 2, max: 40 },
    ],
    [
      'raises the pre-warm floor together with desired in one UpdateAutoScalingGroup',
      { desired: 4, min: 2, max: 40 },
      setCapacity(12, 12),
      ['UpdateAutoScalingGroup web-prod min=12 desired=12'],
      'applied',
      'UpdateAutoScalingGroup web-prod DesiredCapacity 4→12, MinSize 2→12',
      { desired: 12, min: 12, max: 40 },
    ],
    [
      // Lowering desired first would be rejected (desired below MinSize); lowering MinSize first would let
      // the group's own policies scale in before Drivetrain sets desired. One call avoids both.
      'lowers floor and desired together when the pre-warm window ends',
      { desired: 12, min: 12, max: 40 },
      setCapacity(4, 2),
      ['UpdateAutoScalingGroup web-prod min=2 desired=4'],
      'applied',
      'UpdateAutoScalingGroup web-prod DesiredCapacity 12→4, MinSize 12→2',
      { desired: 4, min: 2, max: 40 },
    ],
    [
      'moves only MinSize when desired already matches',
      { desired: 12, min: 2, max: 40 },
      setCapacity(12, 10),
      ['UpdateAutoScalingGroup web-prod min=10 desired=12'],
      'applied',
      'UpdateAutoScalingGroup web-prod MinSize 2→10',
      { desired: 12, min: 10, max: 40 },
    ],
    [
      'sets desired exactly at MaxSize',
      { desired: 30, min: 2, max: 40 },
      setCapacity(40, 2),
      ['SetDesiredCapacity web-prod 40'],
      'applied',
      'SetDesiredCapacity web-prod 30→40',
      { desired: 40, min: 2, max: 40 },
    ],
  ])('%s', async (_case, group, action, writes, status, detail, after) => {
    const { executor, autoScaling } = setup(group);
    await expect(executor.apply(asgTarget(), action, ACTION_ID)).resolves.toEqual({ status, detail });
    expect(autoScaling.calls).toEqual(['describe web-prod', ...writes]);
    expect(autoScaling.groups.get('web-prod')).toEqual(after);
  });

  it('refuses desired above MaxSize with a permanent error and never raises MaxSize', async () => {
    const { executor, autoScaling } = setup({ desired: 30, min: 2, max: 40 });
    const error = (await executor
      .apply(asgTarget(), setCapacity(50, 2), ACTION_ID)
      .catch((e: unknown) => e)) as PermanentExecutorError;
    expect(error).toBeInstanceOf(PermanentExecutorError);
    expect(error.code).toBe(EXECUTOR_ERROR_CODES.desiredAboveMaxSize);
    expect(error.message).toContain('desired 50 exceeds MaxSize 40 of Auto Scaling group web-prod');
    expect(autoScaling.calls).toEqual(['describe web-prod']);
  });

  it('reports a missing group as permanent', async () => {
    const { executor } = setup(undefined);
    await expect(executor.apply(asgTarget(), setCapacity(4, 2), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: EXECUTOR_ERROR_CODES.resourceNotFound,
    });
  });

  it.each<[string, Action, string]>([
    ['a set-weights action', { type: 'set-weights', weights: { a: 1 } }, EXECUTOR_ERROR_CODES.wrongActionType],
    ['a floor above desired', setCapacity(4, 6), EXECUTOR_ERROR_CODES.invalidAction],
    ['a fractional desired', setCapacity(4.5, 2), EXECUTOR_ERROR_CODES.invalidAction],
  ])('rejects %s before touching AWS', async (_case, action, code) => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    await expect(executor.apply(asgTarget(), action, ACTION_ID)).rejects.toMatchObject({ retryable: false, code });
    expect(autoScaling.calls).toEqual([]);
  });

  it.each(['shadow', 'paused'] as const)('never calls AWS for a %s target', async (mode) => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    await expect(executor.apply(asgTarget({ mode }), setCapacity(12, 2), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: EXECUTOR_ERROR_CODES.targetNotEnforced,
    });
    expect(autoScaling.calls).toEqual([]);
  });

  it('rejects a target of another kind', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    await expect(executor.apply(lambdaTarget(), setCapacity(12, 2), ACTION_ID)).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.wrongTargetKind,
    });
    expect(autoScaling.calls).toEqual([]);
  });

  it('retries a throttled write, re-reading each time, and applies it once', async () => {
    const { executor, autoScaling, clock } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('setCapacity', sdkErrors.autoScalingThrottling(), { times: 2 });
    await expect(executor.apply(asgTarget(), setCapacity(12, 2), ACTION_ID)).resolves.toEqual({
      status: 'applied',
      detail: 'SetDesiredCapacity web-prod 4→12 (attempt 3)',
    });
    expect(autoScaling.calls).toEqual([
      'describe web-prod',
      'SetDesiredCapacity web-prod 12',
      'describe web-prod',
      'SetDesiredCapacity web-prod 12',
      'describe web-prod',
      'SetDesiredCapacity web-prod 12',
    ]);
    expect(clock.sleeps).toEqual([100, 200]);
    expect(autoScaling.groups.get('web-prod')?.desired).toBe(12);
  });

  it('converges after a write that timed out but landed: no second write', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('setCapacity', sdkErrors.requestTimeout(), { landed: true });
    const result = await executor.apply(asgTarget(), setCapacity(12, 12), ACTION_ID);
    expect(result.status).toBe('applied');
    expect(result.detail).toBe(
      "UpdateAutoScalingGroup web-prod DesiredCapacity 4→12, MinSize 2→12 (in place on attempt 2, after an earlier attempt's write failed or timed out)",
    );
    expect(autoScaling.calls.filter((c) => c.startsWith('Update'))).toHaveLength(1);
  });

  it('gives up on a long scaling activity with a retryable error for the next tick', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('setCapacity', sdkErrors.scalingActivityInProgress(), { times: 5 });
    const error = (await executor
      .apply(asgTarget(), setCapacity(12, 2), ACTION_ID)
      .catch((e: unknown) => e)) as RetryableExecutorError;
    expect(error).toBeInstanceOf(RetryableExecutorError);
    expect(error.code).toBe('ScalingActivityInProgressFault');
    expect(error.attempts).toBe(5);
    expect(error.message).toMatch(/^web-asg:42#0 web-prod: ScalingActivityInProgressFault: /);
    expect(autoScaling.groups.get('web-prod')?.desired).toBe(4);
  });

  it('does not retry a permanent AWS error', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('setCapacity', sdkErrors.autoScalingAccessDenied());
    await expect(executor.apply(asgTarget(), setCapacity(12, 2), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: 'AccessDenied',
    });
    expect(autoScaling.calls).toEqual(['describe web-prod', 'SetDesiredCapacity web-prod 12']);
  });

  it('is idempotent: applying the same action again is unchanged', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    await executor.apply(asgTarget(), setCapacity(12, 12), ACTION_ID);
    await expect(executor.apply(asgTarget(), setCapacity(12, 12), ACTION_ID)).resolves.toMatchObject({
      status: 'unchanged',
    });
    expect(autoScaling.calls.filter((c) => !c.startsWith('describe'))).toHaveLength(1);
  });
});

describe('ec2-asg executor: observe', () => {
  it('reports desired and MinSize as the floor', async () => {
    const { executor } = setup({ desired: 6, min: 3, max: 40 });
    await expect(executor.observe(asgTarget())).resolves.toEqual({ kind: 'capacity', desired: 6, floor: 3 });
  });

  it('returns undefined for a missing group', async () => {
    const { executor } = setup(undefined);
    await expect(executor.observe(asgTarget())).resolves.toBeUndefined();
  });

  it('retries a throttled read', async () => {
    const { executor, autoScaling } = setup({ desired: 6, min: 3, max: 40 });
    autoScaling.failures.add('describe', sdkErrors.autoScalingThrottling());
    await expect(executor.observe(asgTarget())).resolves.toEqual({ kind: 'capacity', desired: 6, floor: 3 });
    expect(autoScaling.calls).toEqual(['describe web-prod', 'describe web-prod']);
  });

  it('observes shadow targets too (reading is always safe)', async () => {
    const { executor } = setup({ desired: 6, min: 3, max: 40 });
    await expect(executor.observe(asgTarget({ mode: 'shadow' }))).resolves.toEqual({
      kind: 'capacity',
      desired: 6,
      floor: 3,
    });
  });
});

describe('ec2-asg executor: what a give-up says about the resource', () => {
  it.each<[string, () => unknown, boolean]>([
    ['every write throttled', sdkErrors.autoScalingThrottling, true],
    ['every write refused: a scaling activity in progress', sdkErrors.scalingActivityInProgress, true],
    ['a write timed out (AWS may have applied it)', sdkErrors.requestTimeout, false],
    ['a write hit a socket reset', sdkErrors.connectionReset, false],
  ])('%s → notApplied %s', async (_label, error, notApplied) => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('setCapacity', error(), { times: 100 });
    const thrown = (await executor
      .apply(asgTarget(), setCapacity(6, 2), ACTION_ID)
      .catch((e: unknown) => e)) as RetryableExecutorError;
    expect(thrown).toBeInstanceOf(RetryableExecutorError);
    expect(thrown.notApplied).toBe(notApplied);
  });

  it('reads that never succeed: no write was sent, so notApplied', async () => {
    const { executor, autoScaling } = setup({ desired: 4, min: 2, max: 40 });
    autoScaling.failures.add('describe', sdkErrors.requestTimeout(), { times: 100 });
    const thrown = (await executor
      .apply(asgTarget(), setCapacity(6, 2), ACTION_ID)
      .catch((e: unknown) => e)) as RetryableExecutorError;
    expect(thrown.notApplied).toBe(true);
    expect(autoScaling.calls.filter((c) => c.startsWith('Set'))).toEqual([]);
  });
});
