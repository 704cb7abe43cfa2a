/**
 * Builders for canonical drivers, targets and states. Everything goes through the real zod schemas, so a
 * test can never feed the engine something the normalizer or the config loader would have rejected.
 */
import {
  driverSchema,
  targetSchema,
  type Driver,
  type PolicyInput,
  type Target,
  type TargetInput,
  type TargetState,
} from '../../../functions/domain/model';
import type { MetricHistory } from '../../../functions/domain/history';

/** 2026-11-27T08:00:00Z, a Friday morning: the examples read like a Black Friday. */
export const T0 = 1_795_766_400;
export const ONCALL = 'arn:aws:sts::111122223333:assumed-role/oncall-sre/alice';

export function capacityTarget(policy: Partial<PolicyInput> = {}, extra: Partial<TargetInput> = {}): Target {
  return targetSchema.parse({
    id: 'web-asg',
    kind: 'ec2-asg',
    resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod' },
    mode: 'enforce',
    allowedSources: ['aws.cloudwatch', 'drivetrain.metrics', 'com.acme.marketing', 'drivetrain.operator'],
    ...extra,
    policy: {
      version: 'web-v1',
      bounds: { min: 2, max: 40, maxStepUp: 12, maxStepDown: 4 },
      rules: [
        { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true },
        { kind: 'alarm', driver: 'cpu-low', step: -1 },
        // No scale-in tolerance here so each case isolates the rule it is about; tolerance has its own cases.
        { kind: 'metric', driver: 'requests', targetPerUnit: 250, scaleInTolerance: 0 },
        { kind: 'business', driver: 'flash-sale', baseline: 4, leadTimeSeconds: 900 },
        { kind: 'business', driver: 'cost-budget' },
        { kind: 'business', driver: 'change-freeze' },
        { kind: 'override', driver: 'ops-override' },
      ],
      stabilization: { scaleUpSeconds: 120, scaleDownSeconds: 600 },
      budget: { unitHourlyPrice: 0.5, maxHourlyCost: 20 },
      fallback: { allocation: 6, staleAfterSeconds: 600 },
      ...policy,
    },
  });
}

/** Provisioned concurrency driven by business windows only, like checkout-fn in drivetrain.config.yaml. */
export function lambdaTarget(policy: Partial<PolicyInput> = {}): Target {
  return targetSchema.parse({
    id: 'checkout-fn',
    kind: 'lambda-provisioned-concurrency',
    resource: { kind: 'lambda-provisioned-concurrency', functionName: 'checkout', qualifier: 'live' },
    mode: 'enforce',
    allowedSources: ['com.acme.marketing', 'drivetrain.operator'],
    policy: {
      version: 'checkout-v1',
      bounds: { min: 0, max: 200, maxStepDown: 100 },
      rules: [
        { kind: 'business', driver: 'flash-sale', baseline: 20, leadTimeSeconds: 600 },
        { kind: 'override', driver: 'ops-override' },
      ],
      stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 900 },
      fallback: { allocation: 0 },
      ...policy,
    },
  });
}

export function routingTarget(policy: Partial<PolicyInput> = {}, endpoints?: unknown[]): Target {
  return targetSchema.parse({
    id: 'api-routing',
    kind: 'route53-weighted',
    resource: {
      kind: 'route53-weighted',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      recordName: 'api.example.com',
      recordType: 'CNAME',
      endpoints: endpoints ?? [
        { setIdentifier: 'us-east-1', weight: 70, minShare: 0.2, drainOn: ['use1-health'] },
        { setIdentifier: 'eu-west-1', weight: 30, minShare: 0.2, drainOn: ['euw1-health'] },
      ],
    },
    mode: 'enforce',
    allowedSources: ['aws.cloudwatch', 'drivetrain.operator'],
    policy: {
      version: 'routing-v1',
      bounds: { min: 0, max: 255 },
      rules: [{ kind: 'override', driver: 'ops-override' }],
      routing: { restoreAfterSeconds: 300 },
      fallback: { allocation: 0 },
      ...policy,
    },
  });
}

// A type alias (not an interface) so it stays assignable to Record<string, unknown>.
type Common = {
  id?: string;
  at?: number;
  ttl?: number;
  targets?: string[];
};

let sequence = 0;
function build(
  kind: Driver['kind'],
  name: string,
  signal: unknown,
  source: string,
  opts: Common & Record<string, unknown>,
): Driver {
  const { id, at = T0 - 60, ttl = 3600, targets, ...rest } = opts;
  sequence++;
  return driverSchema.parse({
    id: id ?? `${name}-${sequence}`,
    name,
    kind,
    source,
    targets: targets ?? ['web-asg', 'checkout-fn', 'api-routing'],
    observedAt: at,
    expiresAt: at + ttl,
    lineage: { eventId: `evt-${sequence}`, channel: 'eventbridge', receivedAt: at + 1 },
    signal,
    ...rest,
  });
}

export function alarm(
  name: string,
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA',
  opts: Common & { alarmName?: string } = {},
): Driver {
  const { alarmName = `${name}-alarm`, ttl = 7 * 86_400, ...rest } = opts;
  return build(
    'alarm',
    name,
    { alarmName, state, previousState: state === 'ALARM' ? 'OK' : 'ALARM' },
    'aws.cloudwatch',
    { ttl, ...rest },
  );
}

export function metric(name: string, value: number, opts: Common = {}): Driver {
  return build('metric', name, { value, unit: 'Count/Second' }, 'drivetrain.metrics', opts);
}

export function demand(
  name: string,
  amount: { multiplier: number } | { absolute: number },
  windowStart: number,
  windowEnd: number,
  opts: Common & { label?: string; leadTimeSeconds?: number } = {},
): Driver {
  const { label, leadTimeSeconds, ttl = 30 * 86_400, ...rest } = opts;
  const signal = {
    type: 'demand',
    demand: amount,
    windowStart,
    windowEnd,
    ...(label ? { label } : {}),
    ...(leadTimeSeconds !== undefined ? { leadTimeSeconds } : {}),
  };
  return build('business', name, signal, 'com.acme.marketing', { ttl, at: T0 - 86_400, ...rest });
}

export function budget(
  name: string,
  maxHourlyCost: number,
  windowStart: number,
  windowEnd: number,
  opts: Common = {},
): Driver {
  return build('business', name, { type: 'budget', maxHourlyCost, windowStart, windowEnd }, 'com.acme.finance', {
    ttl: 30 * 86_400,
    at: T0 - 86_400,
    ...opts,
  });
}

export function freeze(name: string, windowStart: number, windowEnd: number, opts: Common = {}): Driver {
  return build('business', name, { type: 'freeze', windowStart, windowEnd }, 'com.acme.change-management', {
    ttl: 30 * 86_400,
    at: T0 - 86_400,
    ...opts,
  });
}

export function override(
  name: string,
  signal:
    | { action: 'pin'; allocation: number }
    | { action: 'pin-weights'; weights: Record<string, number> }
    | { action: 'freeze' },
  opts: Common & { reason?: string } = {},
): Driver {
  const { reason = 'INC-4711 load test', at = T0 - 60, ...rest } = opts;
  sequence++;
  return build('override', name, signal, 'drivetrain.operator', {
    at,
    reason,
    ...rest,
    lineage: { eventId: `evt-override-${sequence}`, channel: 'api', receivedAt: at + 1, principal: ONCALL },
  });
}

export function capacityState(desired: number, opts: Partial<TargetState> & { floor?: number } = {}): TargetState {
  const { floor = 2, ...rest } = opts;
  return { targetId: 'web-asg', version: 1, current: { kind: 'capacity', desired, floor }, ...rest };
}

export function weightsState(weights: Record<string, number>, opts: Partial<TargetState> = {}): TargetState {
  return { targetId: 'api-routing', version: 1, current: { kind: 'weights', weights }, ...opts };
}

/**
 * A 1-minute metric history whose last period ends at `end`: values oldest first (NaN = gap). The default end
 * is T0 - 60, where `metric()` snapshots are observed: the last value is the snapshot's own minute.
 */
export function history(values: number[], end = T0 - 60, stepSeconds = 60): MetricHistory {
  return { start: end - values.length * stepSeconds, stepSeconds, values };
}
