/**
 * The retry budget (issue 10, violation 9, and "every Auto Scaling call throttled near the deadline"),
 * through the exported handlers over DynamoDB Local with the SDK mocked (aws-sdk-client-mock). Sleeps are
 * recorded against a virtual clock, never waited for: the budgets are asserted in virtual milliseconds.
 *
 * Required: one action sleeps at most its 3 s budget, a server's Retry-After included (Retry-After 10 s used to
 * make one action sleep 12 s); one invocation's retries stay within its own budget and the Lambda deadline;
 * when a budget runs out the plan is closed cleanly (failed, retryable, counted) instead of being left pending
 * for the whole grace period.
 */
import type { Context } from 'aws-lambda';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
} from '@aws-sdk/client-auto-scaling';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Route53Client } from '@aws-sdk/client-route-53';
import {
  AwsApplicationAutoScalingAdapter,
  AwsAutoScalingAdapter,
  AwsProvisionedConcurrencyAdapter,
  AwsWeightedRoutingAdapter,
} from '../../functions/adapters/aws';
import { METRIC } from '../../functions/contracts';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import {
  createExecutors,
  createInvocationExecutors,
  INVOCATION_RETRY_BUDGET_MS,
  type RetryOptions,
} from '../../functions/executors';
import { createIngestHandler, type IngestSummary } from '../../functions/handlers/ingest';
import { createTickHandler, type TickSummary } from '../../functions/handlers/tick';
import type { HandlerDeps } from '../../functions/app/deps';
import { createHarness, lambdaContext, type Harness } from '../handlers/harness';
import { T0, alarmEvent, AwsFaults, auditTarget, demandEvent, sdkErrors } from './support';

const region = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** Real adapters over fresh SDK clients: aws-sdk-client-mock stubs every client of the class. */
function ports() {
  return {
    autoScaling: new AwsAutoScalingAdapter(new AutoScalingClient(region)),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(new ApplicationAutoScalingClient(region)),
    provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(new LambdaClient(region)),
    weightedRouting: new AwsWeightedRoutingAdapter(new Route53Client(region)),
  };
}

/** Retry sleeps advance a virtual millisecond offset on top of the harness's virtual seconds. */
function virtualSleep(h: Harness) {
  const clock = { offsetMs: 0, sleeps: [] as number[] };
  const retry: Partial<RetryOptions> = {
    sleep: async (ms) => {
      clock.sleeps.push(ms);
      clock.offsetMs += ms;
    },
    random: () => 0.5,
    now: () => h.now.value * 1000 + clock.offsetMs,
  };
  return { clock, retry, slept: () => clock.sleeps.reduce((a, b) => a + b, 0) };
}

function deps(h: Harness, executors: HandlerDeps['executors'], config = h.config): HandlerDeps {
  return {
    config,
    drivers: h.drivers,
    decisions: h.decisions,
    executors,
    clock: () => h.now.value,
    logger: h.logger,
    metrics: h.metrics,
  };
}

describe('one action’s retries stay within its budget (violation 9)', () => {
  let h: Harness;
  let faults: AwsFaults;
  afterEach(() => {
    faults?.close();
    h?.close();
  });

  it('Lambda TooManyRequestsException with Retry-After 10 s: no 10 s wait, ≤ 3 s slept, the plan closed failed (retryable) and counted', async () => {
    h = await createHarness({ now: T0 + 2 });
    faults = new AwsFaults(h);
    const virtual = virtualSleep(h);
    const ingest = createIngestHandler(deps(h, createExecutors(ports(), { retry: virtual.retry })));
    faults.fail('PutProvisionedConcurrencyConfig', () => sdkErrors.lambdaTooManyRequests('10'), { times: 100 });

    const sale = demandEvent({
      id: 'sale',
      at: T0,
      campaign: 'c1',
      demand: { absolute: 40 },
      windowStart: T0 - 60,
      windowEnd: T0 + 3600,
      targets: ['checkout-fn'],
    });
    const summary = (await ingest(sale, lambdaContext())) as IngestSummary;

    expect(virtual.slept()).toBeLessThanOrEqual(3_000);
    expect(virtual.clock.sleeps.every((ms) => ms < 10_000)).toBe(true);
    expect(summary.reconciled).toEqual([expect.objectContaining({ targetId: 'checkout-fn', status: 'failed' })]);
    const [decision] = await h.decisions.list('checkout-fn', { limit: 1 });
    expect(decision).toMatchObject({ status: 'failed', outcome: { error: { retryable: true } } });
    expect(decision!.outcome!.error!.message).toMatch(/Retry-After|retry budget/i);
    expect((await h.decisions.getState('checkout-fn'))?.pending).toBeUndefined();
    expect(h.metric(METRIC.retryBudgetExhausted)).toBe(1);

    // The next reconcile is the retry the hint asked for.
    faults.heal();
    h.now.value += 60;
    await createTickHandler(deps(h, createExecutors(ports(), { retry: virtual.retry })))(
      { targetIds: ['checkout-fn'] } as never,
      lambdaContext(),
    );
    expect(h.aws.provisioned).toBe(40);
    expect((await auditTarget(h, faults, 'checkout-fn')).violations).toEqual([]);
  });

  it('a Retry-After inside the budget is honoured', async () => {
    h = await createHarness({ now: T0 + 2 });
    faults = new AwsFaults(h);
    const virtual = virtualSleep(h);
    const ingest = createIngestHandler(deps(h, createExecutors(ports(), { retry: virtual.retry })));
    faults.fail('PutProvisionedConcurrencyConfig', () => sdkErrors.lambdaTooManyRequests('2'), { times: 1 });
    const sale = demandEvent({
      id: 'sale',
      at: T0,
      campaign: 'c1',
      demand: { absolute: 40 },
      windowStart: T0 - 60,
      windowEnd: T0 + 3600,
      targets: ['checkout-fn'],
    });
    const summary = (await ingest(sale, lambdaContext())) as IngestSummary;
    expect(summary.reconciled).toEqual([expect.objectContaining({ status: 'applied' })]);
    expect(virtual.clock.sleeps).toEqual([2_000]);
  });
});

/** 24 Auto Scaling groups, nothing known about them yet: the first tick plans each one's fallback allocation. */
function fleetConfig(count: number): DrivetrainConfigInput {
  return {
    version: 1,
    decisionRetentionDays: 30,
    drivers: [{ name: 'ops-override', kind: 'override', targets: Array.from({ length: count }, (_, i) => `asg-${i}`) }],
    targets: Array.from({ length: count }, (_, i) => ({
      id: `asg-${i}`,
      kind: 'ec2-asg' as const,
      resource: { kind: 'ec2-asg' as const, autoScalingGroupName: `group-${i}` },
      mode: 'enforce' as const,
      allowedSources: ['drivetrain.operator'],
      policy: {
        version: 'fleet-1',
        bounds: { min: 2, max: 40 },
        rules: [{ kind: 'override' as const, driver: 'ops-override' }],
        fallback: { allocation: 4 },
      },
    })),
  };
}

describe('every Auto Scaling call throttled near the deadline', () => {
  let h: Harness;
  afterEach(() => h?.close());

  it('24 targets: none left pending, each plan closed failed (retryable) within the budgets; the next tick applies all 24', async () => {
    const COUNT = 24;
    h = await createHarness({ config: fleetConfig(COUNT), now: T0 });
    const groups = new Map(
      Array.from({ length: COUNT }, (_, i) => [`group-${i}`, { DesiredCapacity: 2, MinSize: 2, MaxSize: 40 }]),
    );
    let throttled = true;
    const writes: string[] = [];
    h.autoScaling.on(DescribeAutoScalingGroupsCommand).callsFake((input: { AutoScalingGroupNames?: string[] }) => {
      if (throttled) throw sdkErrors.autoScalingThrottling();
      return {
        AutoScalingGroups: (input.AutoScalingGroupNames ?? [])
          .filter((n) => groups.has(n))
          .map((n) => ({ AutoScalingGroupName: n, ...groups.get(n)! })),
      };
    });
    h.autoScaling
      .on(SetDesiredCapacityCommand)
      .callsFake((input: { AutoScalingGroupName: string; DesiredCapacity: number }) => {
        if (throttled) throw sdkErrors.autoScalingThrottling();
        groups.get(input.AutoScalingGroupName)!.DesiredCapacity = input.DesiredCapacity;
        writes.push(input.AutoScalingGroupName);
        return {};
      });

    const virtual = virtualSleep(h);
    const executors: HandlerDeps['executors'] = (invocation) =>
      createInvocationExecutors(ports(), invocation, { retry: virtual.retry });
    const tick = createTickHandler(deps(h, executors));
    // 12 s left of the invocation: 7 s for AWS calls after the safety margin for marking.
    const context: Context = lambdaContext(12_000);
    const first = (await tick({ targetIds: undefined } as never, context)) as TickSummary;

    expect(first.failed).toEqual([]);
    expect(virtual.slept()).toBeLessThanOrEqual(Math.min(INVOCATION_RETRY_BUDGET_MS, 7_000));
    for (let i = 0; i < COUNT; i++) {
      const state = await h.decisions.getState(`asg-${i}`);
      expect({ target: i, pending: state?.pending }).toEqual({ target: i, pending: undefined });
      const [decision] = await h.decisions.list(`asg-${i}`, { limit: 1 });
      expect({ target: i, status: decision?.status, retryable: decision?.outcome?.error?.retryable }).toEqual({
        target: i,
        status: 'failed',
        retryable: true,
      });
    }
    expect(writes).toEqual([]);
    expect(h.metric(METRIC.actionsFailed)).toBe(COUNT);

    // A minute later AWS answers again: every target is decided and applied, not held for the grace period.
    throttled = false;
    h.now.value += 60;
    virtual.clock.offsetMs = 0;
    const second = (await tick({ targetIds: undefined } as never, lambdaContext(12_000))) as TickSummary;
    expect(second.failed).toEqual([]);
    expect(second.reconciled.filter((r) => r.outcome === 'recorded' && r.status === 'applied')).toHaveLength(COUNT);
    expect([...groups.values()].every((g) => g.DesiredCapacity === 4)).toBe(true);
  });
});

describe('Route 53 pacing is per process: what the account-wide limit does to the others', () => {
  let h: Harness;
  let faults: AwsFaults;
  afterEach(() => {
    faults?.close();
    h?.close();
  });

  // Route 53 allows five requests per second per account. Each execution environment paces itself at that
  // rate, so two environments (or any other DNS tool in the account) can exceed it together, and then every
  // call is throttled for a while, reads included. The plan must not wait out the grace period for that.
  it('every Route 53 call throttled: the plan is closed failed (retryable, not pending) and the next tick applies it', async () => {
    h = await createHarness({ now: T0 + 2 });
    faults = new AwsFaults(h);
    const virtual = virtualSleep(h);
    const executors: HandlerDeps['executors'] = (invocation) =>
      createInvocationExecutors(ports(), invocation, { retry: virtual.retry, route53Limiter: { take: async () => 0 } });
    // Every call throttled, reads included: the decision is made from the last known allocation.
    faults.fail('ListResourceRecordSets', sdkErrors.route53Throttling, { times: 100 });
    faults.fail('ChangeResourceRecordSets', sdkErrors.route53Throttling, { times: 100 });
    const ingest = createIngestHandler(deps(h, executors));
    const summary = (await ingest(
      alarmEvent({ id: 'use1-alarm', at: T0, state: 'ALARM', alarmName: 'ServiceAggregatedAlarm' }),
      lambdaContext(),
    )) as IngestSummary;

    expect(summary.reconciled).toEqual([expect.objectContaining({ targetId: 'api-routing', status: 'failed' })]);
    expect((await h.decisions.getState('api-routing'))?.pending).toBeUndefined();
    expect(faults.writesOf('api-routing')).toEqual([]);
    expect(virtual.slept()).toBeLessThanOrEqual(INVOCATION_RETRY_BUDGET_MS);

    faults.heal();
    h.now.value += 60;
    await createTickHandler(deps(h, executors))({ targetIds: ['api-routing'] } as never, lambdaContext());
    expect(h.aws.weights).toEqual({ 'us-east-1': 0, 'eu-west-1': 100 });
    expect((await auditTarget(h, faults, 'api-routing')).violations).toEqual([]);
  });
});
