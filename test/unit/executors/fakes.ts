/**
 * In-memory ports for executor tests. They enforce the rules AWS enforces (an Auto Scaling group must stay
 * within min <= desired <= max, Lambda rejects a config of 0, Route 53 only updates records that exist) so an
 * executor that orders its calls wrongly fails here the way it would against AWS. Failures are injected per
 * operation, optionally after the change landed (a timeout on the way back).
 */
import type { LimiterClock } from '../../../functions/executors/rate-limiter';
import type { RetryOptions } from '../../../functions/executors/retry';
import { targetSchema, type Target, type TargetInput } from '../../../functions/domain/model';
import type {
  ApplicationAutoScalingPort,
  AutoScalingGroupCapacity,
  AutoScalingPort,
  FailedScalingActivity,
  OwnScaling,
  ProvisionedConcurrency,
  ProvisionedConcurrencyPort,
  ScalableTargetCapacity,
  ScalableTargetRef,
  WeightedRecord,
  WeightedRoutingPort,
  Route53ChangeStatus,
} from '../../../functions/ports';
import { sdkErrors } from './sdk-errors';

/**
 * A clock that only moves when the test moves it or, for one caller at a time, when that caller sleeps.
 * Concurrent callers need `frozen`: their sleeps would otherwise add up on the one shared clock.
 */
export class FakeClock implements LimiterClock {
  readonly sleeps: number[] = [];
  constructor(
    public time = 0,
    private readonly options: { frozen?: boolean } = {},
  ) {}
  now = () => this.time;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    if (!this.options.frozen) this.time += ms;
  };
}

/** Retry options that never really wait and always pick the same jitter. */
export function instantRetry(clock = new FakeClock(), overrides: Partial<RetryOptions> = {}): Partial<RetryOptions> {
  return { sleep: clock.sleep, now: clock.now, random: () => 0.5, ...overrides };
}

interface InjectedFailure {
  error: unknown;
  /** The change is made before the error is thrown (e.g. a timeout after AWS applied it). */
  landed: boolean;
}

class FailureQueue<Op extends string> {
  private readonly queued = new Map<Op, InjectedFailure[]>();
  add(op: Op, error: unknown, options: { landed?: boolean; times?: number } = {}): void {
    const list = this.queued.get(op) ?? [];
    for (let i = 0; i < (options.times ?? 1); i++) list.push({ error, landed: options.landed ?? false });
    this.queued.set(op, list);
  }
  next(op: Op): InjectedFailure | undefined {
    return this.queued.get(op)?.shift();
  }
}

export class FakeAutoScaling implements AutoScalingPort {
  readonly groups = new Map<string, AutoScalingGroupCapacity>();
  readonly calls: string[] = [];
  readonly failures = new FailureQueue<'describe' | 'setCapacity' | 'setMinSize'>();
  readonly own = new Map<string, OwnScaling>();
  /** Failed or cancelled scaling activities, per group, newest first. */
  readonly activities = new Map<string, FailedScalingActivity[]>();

  async failedActivities(groupName: string, since: number): Promise<FailedScalingActivity[]> {
    this.calls.push(`activities ${groupName}`);
    return (this.activities.get(groupName) ?? []).filter((a) => a.at >= since);
  }

  async describe(groupName: string): Promise<AutoScalingGroupCapacity | undefined> {
    this.calls.push(`describe ${groupName}`);
    const failure = this.failures.next('describe');
    if (failure) throw failure.error;
    const group = this.groups.get(groupName);
    return group && { ...group };
  }

  async setCapacity(groupName: string, change: { desired: number; min?: number }): Promise<void> {
    this.calls.push(
      change.min === undefined
        ? `SetDesiredCapacity ${groupName} ${change.desired}`
        : `UpdateAutoScalingGroup ${groupName} min=${change.min} desired=${change.desired}`,
    );
    const failure = this.failures.next('setCapacity');
    if (failure && !failure.landed) throw failure.error;
    const group = this.groups.get(groupName);
    if (!group) throw sdkErrors.autoScalingValidation();
    const next = { ...group, desired: change.desired, min: change.min ?? group.min };
    // What AWS validates: the resulting group must satisfy min <= desired <= max.
    if (!(next.min <= next.desired && next.desired <= next.max)) {
      throw Object.assign(sdkErrors.autoScalingValidation(), {
        message: `Desired capacity:${next.desired} must be between the specified min size:${next.min} and max size:${next.max}`,
      });
    }
    this.groups.set(groupName, next);
    if (failure) throw failure.error;
  }

  /** As EC2 Auto Scaling: MinSize alone; a MinSize above desired raises desired to it, a lower one leaves it. */
  async setMinSize(groupName: string, min: number): Promise<void> {
    this.calls.push(`UpdateAutoScalingGroup ${groupName} min=${min}`);
    const failure = this.failures.next('setMinSize');
    if (failure && !failure.landed) throw failure.error;
    const group = this.groups.get(groupName);
    if (!group) throw sdkErrors.autoScalingValidation();
    if (min > group.max) throw sdkErrors.autoScalingValidation();
    this.groups.set(groupName, { ...group, min, desired: Math.max(group.desired, min) });
    if (failure) throw failure.error;
  }

  async ownScaling(groupName: string): Promise<OwnScaling> {
    this.calls.push(`ownScaling ${groupName}`);
    return this.own.get(groupName) ?? { policies: [], scheduledActions: [] };
  }
}

/** One scalable target per ResourceId; enforces MinCapacity <= MaxCapacity as AAS does. */
export class FakeApplicationAutoScaling implements ApplicationAutoScalingPort {
  readonly targets = new Map<string, ScalableTargetCapacity>();
  readonly calls: string[] = [];
  readonly failures = new FailureQueue<'describe' | 'setMinCapacity'>();

  async describe(ref: ScalableTargetRef): Promise<ScalableTargetCapacity | undefined> {
    this.calls.push(`describe ${ref.resourceId}`);
    const failure = this.failures.next('describe');
    if (failure) throw failure.error;
    const found = this.targets.get(ref.resourceId);
    return found && { ...found };
  }

  async setMinCapacity(ref: ScalableTargetRef, min: number): Promise<void> {
    this.calls.push(`RegisterScalableTarget ${ref.resourceId} min=${min}`);
    const failure = this.failures.next('setMinCapacity');
    if (failure && !failure.landed) throw failure.error;
    const found = this.targets.get(ref.resourceId);
    if (!found || min > found.max) throw sdkErrors.autoScalingValidation();
    this.targets.set(ref.resourceId, { ...found, min });
    if (failure) throw failure.error;
  }

  async ownScaling(): Promise<OwnScaling> {
    return { policies: [], scheduledActions: [] };
  }
}

export class FakeProvisionedConcurrency implements ProvisionedConcurrencyPort {
  readonly configs = new Map<string, ProvisionedConcurrency>();
  readonly calls: string[] = [];
  readonly failures = new FailureQueue<'get' | 'put' | 'remove'>();

  async get(functionName: string, qualifier: string): Promise<ProvisionedConcurrency | undefined> {
    this.calls.push(`get ${functionName}:${qualifier}`);
    const failure = this.failures.next('get');
    if (failure) throw failure.error;
    const config = this.configs.get(`${functionName}:${qualifier}`);
    return config && { ...config };
  }

  async put(functionName: string, qualifier: string, units: number): Promise<void> {
    this.calls.push(`put ${functionName}:${qualifier} ${units}`);
    const failure = this.failures.next('put');
    if (failure && !failure.landed) throw failure.error;
    if (units < 1) throw sdkErrors.lambdaInvalidParameter();
    this.configs.set(`${functionName}:${qualifier}`, { requested: units, allocated: 0, status: 'IN_PROGRESS' });
    if (failure) throw failure.error;
  }

  async remove(functionName: string, qualifier: string): Promise<void> {
    this.calls.push(`remove ${functionName}:${qualifier}`);
    const failure = this.failures.next('remove');
    if (failure && !failure.landed) throw failure.error;
    if (!this.configs.delete(`${functionName}:${qualifier}`)) throw sdkErrors.lambdaFunctionNotFound();
    if (failure) throw failure.error;
  }
}

export class FakeWeightedRouting implements WeightedRoutingPort {
  readonly weights = new Map<string, number>();
  readonly calls: string[] = [];
  readonly comments: Array<string | undefined> = [];
  readonly failures = new FailureQueue<'getWeights' | 'setWeights' | 'changeStatus'>();
  /** Submitted changes by id; a test moves one to INSYNC (Route 53's propagation) or deletes it (NoSuchChange). */
  readonly changes = new Map<string, Route53ChangeStatus>();
  /** `${call}@${clock time}` when built with a clock: when each call reached "AWS". */
  readonly timeline: string[] = [];

  constructor(
    initial: Record<string, number> = {},
    private readonly clock?: FakeClock,
  ) {
    for (const [id, w] of Object.entries(initial)) this.weights.set(id, w);
  }

  async getWeights(record: WeightedRecord): Promise<Record<string, number>> {
    this.calls.push(`getWeights ${record.recordName}`);
    if (this.clock) this.timeline.push(`getWeights@${this.clock.time}`);
    const failure = this.failures.next('getWeights');
    if (failure) throw failure.error;
    return Object.fromEntries(this.weights);
  }

  async setWeights(
    record: WeightedRecord,
    weights: Record<string, number>,
    options?: { comment?: string },
  ): Promise<{ changeId?: string }> {
    this.calls.push(
      `setWeights ${record.recordName} ${Object.entries(weights)
        .map(([id, w]) => `${id}=${w}`)
        .join(',')}`,
    );
    this.comments.push(options?.comment);
    if (this.clock) this.timeline.push(`setWeights@${this.clock.time}`);
    const failure = this.failures.next('setWeights');
    if (failure && !failure.landed) throw failure.error;
    for (const [id, w] of Object.entries(weights)) {
      if (!this.weights.has(id)) throw sdkErrors.invalidChangeBatch();
      this.weights.set(id, w);
    }
    const changeId = `/change/C${this.changes.size + 1}`;
    this.changes.set(changeId, 'PENDING');
    if (failure) throw failure.error;
    return { changeId };
  }

  async changeStatus(changeId: string): Promise<Route53ChangeStatus | undefined> {
    this.calls.push(`changeStatus ${changeId}`);
    if (this.clock) this.timeline.push(`changeStatus@${this.clock.time}`);
    const failure = this.failures.next('changeStatus');
    if (failure) throw failure.error;
    return this.changes.get(changeId);
  }
}

// ---- targets as the configuration declares them (parsed, so schema defaults apply) -------------------------

const basePolicy = { version: 'test-1', bounds: { min: 2, max: 40 }, fallback: { allocation: 2 } };

export function asgTarget(overrides: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    id: 'web-asg',
    kind: 'ec2-asg',
    resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
    mode: 'enforce',
    allowedSources: ['aws.cloudwatch'],
    policy: basePolicy,
    ...overrides,
  });
}

export function scalableTarget(overrides: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    id: 'orders-ecs',
    resource: {
      kind: 'application-auto-scaling',
      serviceNamespace: 'ecs',
      resourceId: 'service/web/orders',
      scalableDimension: 'ecs:service:DesiredCount',
    },
    mode: 'enforce',
    allowedSources: ['com.acme.marketing'],
    policy: basePolicy,
    ...overrides,
  });
}

export function lambdaTarget(overrides: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    id: 'checkout-fn',
    kind: 'lambda-provisioned-concurrency',
    resource: { kind: 'lambda-provisioned-concurrency', functionName: 'checkout', qualifier: 'live' },
    mode: 'enforce',
    allowedSources: ['com.acme.marketing'],
    policy: { ...basePolicy, bounds: { min: 0, max: 200 }, fallback: { allocation: 0 } },
    ...overrides,
  });
}

export function routingTarget(overrides: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    id: 'api-routing',
    kind: 'route53-weighted',
    resource: {
      kind: 'route53-weighted',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      recordName: 'api.example.com',
      recordType: 'CNAME',
      endpoints: [
        { setIdentifier: 'us-east-1', weight: 70 },
        { setIdentifier: 'eu-west-1', weight: 30 },
      ],
    },
    mode: 'enforce',
    allowedSources: ['aws.cloudwatch'],
    policy: { ...basePolicy, bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
    ...overrides,
  });
}
