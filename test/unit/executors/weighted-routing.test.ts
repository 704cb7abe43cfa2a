import type { Action } from '../../../functions/domain/model';
import { createExecutors } from '../../../functions/executors';
import { EXECUTOR_ERROR_CODES } from '../../../functions/ports';
import { defaultRoute53Limiter, TokenBucketLimiter } from '../../../functions/executors/rate-limiter';
import {
  FakeApplicationAutoScaling,
  FakeAutoScaling,
  FakeClock,
  FakeProvisionedConcurrency,
  FakeWeightedRouting,
  instantRetry,
  routingTarget,
} from './fakes';
import { sdkErrors } from './sdk-errors';
import { TARGET_KINDS } from '../../../functions/domain/target-kinds';
import { weightsAction } from '../../../functions/executors/converge';
import { targetSchema } from '../../../functions/domain/model';

const ACTION_ID = 'api-routing:3#0';

function setup(initial: Record<string, number>) {
  const clock = new FakeClock(0);
  const weightedRouting = new FakeWeightedRouting(initial, clock);
  const executors = createExecutors(
    {
      autoScaling: new FakeAutoScaling(),
      applicationAutoScaling: new FakeApplicationAutoScaling(),
      provisionedConcurrency: new FakeProvisionedConcurrency(),
      weightedRouting,
    },
    { retry: instantRetry(clock), route53Limiter: new TokenBucketLimiter({ ratePerSecond: 5, burst: 1, clock }) },
  );
  return { executor: executors['route53-weighted'], port: weightedRouting, clock };
}

const weights = (w: Record<string, number>): Action => ({ type: 'set-weights', weights: w });

describe('route53-weighted executor: apply', () => {
  it('UPSERTs only the endpoints whose weight differs', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    await expect(
      executor.apply(routingTarget(), weights({ 'us-east-1': 70, 'eu-west-1': 60 }), ACTION_ID),
    ).resolves.toEqual({
      status: 'applied',
      detail: 'ChangeResourceRecordSets api.example.com CNAME in Z0123456789ABCDEFGHIJ UPSERT eu-west-1 30→60',
      changeIds: ['/change/C1'],
    });
    expect(port.calls).toEqual(['getWeights api.example.com', 'setWeights api.example.com eu-west-1=60']);
    expect(port.comments).toEqual(['Drivetrain api-routing:3#0']);
  });

  it('drains one region and shifts its traffic in one batch', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    const result = await executor.apply(routingTarget(), weights({ 'us-east-1': 0, 'eu-west-1': 100 }), ACTION_ID);
    expect(result.detail).toBe(
      'ChangeResourceRecordSets api.example.com CNAME in Z0123456789ABCDEFGHIJ UPSERT us-east-1 70→0, eu-west-1 30→100',
    );
    expect(port.calls.filter((c) => c.startsWith('setWeights'))).toEqual([
      'setWeights api.example.com us-east-1=0,eu-west-1=100',
    ]);
  });

  it('skips when Route 53 already has every weight', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    await expect(
      executor.apply(routingTarget(), weights({ 'us-east-1': 70, 'eu-west-1': 30 }), ACTION_ID),
    ).resolves.toEqual({
      status: 'unchanged',
      detail: 'api.example.com CNAME in Z0123456789ABCDEFGHIJ already weighted us-east-1 70, eu-west-1 30',
    });
    expect(port.calls).toEqual(['getWeights api.example.com']);
  });

  it('fails permanently when a configured SetIdentifier is not in Route 53', async () => {
    const { executor, port } = setup({ 'us-east-1': 70 });
    const error = await executor
      .apply(routingTarget(), weights({ 'us-east-1': 70, 'eu-west-1': 30 }), ACTION_ID)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ retryable: false, code: EXECUTOR_ERROR_CODES.unknownSetIdentifier });
    expect((error as Error).message).toContain(
      'no weighted record with SetIdentifier eu-west-1 (Route 53 has: us-east-1)',
    );
    expect(port.calls).toEqual(['getWeights api.example.com']);
  });

  it('refuses to touch a SetIdentifier the target does not configure', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30, 'ap-south-1': 0 });
    await expect(executor.apply(routingTarget(), weights({ 'ap-south-1': 50 }), ACTION_ID)).rejects.toMatchObject({
      retryable: false,
      code: EXECUTOR_ERROR_CODES.invalidAction,
    });
    expect(port.calls).toEqual([]);
  });

  it.each<[string, Action, string]>([
    ['a set-capacity action', { type: 'set-capacity', desired: 2, floor: 0 }, EXECUTOR_ERROR_CODES.wrongActionType],
    ['a weight above 255', weights({ 'us-east-1': 256 }), EXECUTOR_ERROR_CODES.invalidAction],
    ['no weights at all', weights({}), EXECUTOR_ERROR_CODES.invalidAction],
  ])('rejects %s before touching Route 53', async (_case, action, code) => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    await expect(executor.apply(routingTarget(), action, ACTION_ID)).rejects.toMatchObject({ code });
    expect(port.calls).toEqual([]);
  });

  it('never calls Route 53 for a shadow target', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    await expect(
      executor.apply(routingTarget({ mode: 'shadow' }), weights({ 'us-east-1': 0 }), ACTION_ID),
    ).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.targetNotEnforced,
    });
    expect(port.calls).toEqual([]);
  });

  it('retries PriorRequestNotComplete, re-reading and re-pacing each attempt', async () => {
    const { executor, port } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    port.failures.add('setWeights', sdkErrors.priorRequestNotComplete());
    await expect(
      executor.apply(routingTarget(), weights({ 'us-east-1': 0, 'eu-west-1': 100 }), ACTION_ID),
    ).resolves.toMatchObject({ status: 'applied' });
    // attempt 1: get@0, set@400 (fails), backoff 100 → attempt 2: get@800, set@1200
    expect(port.timeline).toEqual(['getWeights@0', 'setWeights@400', 'getWeights@800', 'setWeights@1200']);
    expect(Object.fromEntries(port.weights)).toEqual({ 'us-east-1': 0, 'eu-west-1': 100 });
  });

  it('paces consecutive applies to 5 requests per second (getWeights = 1 request, setWeights = 2)', async () => {
    const { executor, port, clock } = setup({ 'us-east-1': 70, 'eu-west-1': 30 });
    for (const [us, eu] of [
      [0, 100],
      [70, 30],
      [50, 50],
    ] as const) {
      await executor.apply(routingTarget(), weights({ 'us-east-1': us, 'eu-west-1': eu }), ACTION_ID);
    }
    expect(port.timeline).toEqual([
      'getWeights@0',
      'setWeights@400',
      'getWeights@800',
      'setWeights@1200',
      'getWeights@1600',
      'setWeights@2000',
    ]);
    // requests as Route 53 sees them (a setWeights is a list + a change)
    const requests = port.timeline.flatMap((entry) => {
      const [call, at] = entry.split('@') as [string, string];
      return call === 'setWeights' ? [Number(at), Number(at)] : [Number(at)];
    });
    for (const start of requests)
      expect(requests.filter((t) => t >= start && t < start + 1000).length).toBeLessThanOrEqual(5);
    expect(clock.time).toBe(2000);
  });
});

describe('route53-weighted executor: observe', () => {
  it('reports the weights of the configured endpoints only', async () => {
    const { executor } = setup({ 'us-east-1': 70, 'eu-west-1': 30, 'canary-by-hand': 5 });
    await expect(executor.observe(routingTarget())).resolves.toEqual({
      kind: 'weights',
      weights: { 'us-east-1': 70, 'eu-west-1': 30 },
    });
  });

  it('returns undefined when the record set does not exist', async () => {
    await expect(setup({}).executor.observe(routingTarget())).resolves.toBeUndefined();
  });

  it('fails permanently when a configured endpoint is missing', async () => {
    await expect(setup({ 'us-east-1': 70 }).executor.observe(routingTarget())).rejects.toMatchObject({
      code: EXECUTOR_ERROR_CODES.unknownSetIdentifier,
    });
  });
});

describe('createExecutors', () => {
  it('shares one Route 53 limiter per process by default', () => {
    expect(defaultRoute53Limiter()).toBe(defaultRoute53Limiter());
    const executors = createExecutors({
      autoScaling: new FakeAutoScaling(),
      applicationAutoScaling: new FakeApplicationAutoScaling(),
      provisionedConcurrency: new FakeProvisionedConcurrency(),
      weightedRouting: new FakeWeightedRouting(),
    });
    // One executor per kind of the registry.
    expect(Object.keys(executors).sort()).toEqual([...TARGET_KINDS].sort());
  });
});

const RULE =
  'arn:aws:elasticloadbalancing:us-east-1:111122223333:listener-rule/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/blue/6d0ecf831eec9f09';
const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/green/943f017f100becff';

describe('weightsAction: an out-of-range weight is refused in the words of the target kind', () => {
  const albTarget = targetSchema.parse({
    id: 'web-alb',
    resource: {
      kind: 'alb-weighted',
      listenerRuleArn: RULE,
      targetGroups: [
        { arn: BLUE, weight: 90 },
        { arn: GREEN, weight: 10 },
      ],
    },
    mode: 'enforce',
    allowedSources: ['aws.cloudwatch'],
    policy: { version: 'p1', bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
  });
  it.each([
    ['route53-weighted', routingTarget(), 'us-east-1', 'Route 53 weights are whole numbers 0-255, got us-east-1=256'],
    ['alb-weighted', albTarget, BLUE, `ALB target group weights are whole numbers 0-255, got ${BLUE}=256`],
  ])('%s', (_kind, target, key, message) => {
    expect(() => weightsAction(target, weights({ [key]: 256 }), ACTION_ID, [key])).toThrow(message);
  });
});
