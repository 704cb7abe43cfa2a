/**
 * Coexisting with native scaling, end to end: the tick handler on DynamoDB Local with the real executors and
 * AWS adapters over aws-sdk-client-mock. A floor-managed Auto Scaling group that has its own target-tracking
 * policy, and an ECS service registered with Application Auto Scaling, are driven by alarms, metrics, a flash
 * sale and an operator pin; Drivetrain moves only their floors (MinSize, MinCapacity).
 */
import { RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { SetDesiredCapacityCommand, UpdateAutoScalingGroupCommand } from '@aws-sdk/client-auto-scaling';
import 'aws-sdk-client-mock-jest';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import type { BusinessDriver, MetricDriver, OverrideDriver } from '../../functions/domain/model';
import { wasApplied } from '../../functions/ports';
import { configInput, cpuAlarm, createHarness, SCALABLE_RESOURCE_ID, type Harness } from './harness';

const NOW = 1_795_000_000;

/** The harness config with web-asg floor-managed and an ECS service target driven by the same flash sale. */
function coexistingConfig(): DrivetrainConfigInput {
  const base = configInput();
  const drivers = base.drivers ?? [];
  const targets = base.targets.map((t) =>
    t.id === 'web-asg'
      ? { ...t, resource: { kind: 'ec2-asg' as const, autoScalingGroupName: 'web-prod', manage: 'floor' as const } }
      : t,
  );
  return {
    ...base,
    drivers: drivers.map((d) => (d.name === 'flash-sale' ? { ...d, targets: [...d.targets, 'orders-ecs'] } : d)),
    targets: [
      ...targets,
      {
        id: 'orders-ecs',
        resource: {
          kind: 'application-auto-scaling',
          serviceNamespace: 'ecs',
          resourceId: SCALABLE_RESOURCE_ID,
          scalableDimension: 'ecs:service:DesiredCount',
        },
        mode: 'enforce',
        allowedSources: ['com.acme.marketing'],
        policy: {
          version: 'orders-1',
          bounds: { min: 2, max: 40 },
          rules: [{ kind: 'business', driver: 'flash-sale', baseline: 3, leadTimeSeconds: 600 }],
          fallback: { allocation: 2 },
        },
      },
    ],
  };
}

function flashSale(observedAt: number, start: number, end: number, units: number): BusinessDriver {
  return {
    kind: 'business',
    id: 'sale:black-friday',
    name: 'flash-sale',
    source: 'com.acme.marketing',
    targets: ['web-asg', 'checkout-fn', 'orders-ecs'],
    observedAt,
    expiresAt: end + 3600,
    lineage: { eventId: `sale-${observedAt}`, channel: 'eventbridge', receivedAt: observedAt },
    signal: { type: 'demand', demand: { absolute: units }, windowStart: start, windowEnd: end, leadTimeSeconds: 600 },
  };
}

/** An operator's pin (the floor, on a floor-managed target), as the operator endpoint stores it. */
function pin(observedAt: number, allocation: number): OverrideDriver {
  return {
    kind: 'override',
    id: 'override:ops-override',
    name: 'ops-override',
    source: 'drivetrain.operator',
    targets: ['web-asg'],
    observedAt,
    expiresAt: observedAt + 3600,
    lineage: {
      eventId: `pin-${observedAt}`,
      channel: 'api',
      receivedAt: observedAt,
      principal: 'arn:aws:iam::111122223333:role/oncall-alice',
    },
    signal: { action: 'pin', allocation },
    reason: 'after the sale: floor back to 3',
  };
}

function requests(observedAt: number, value: number): MetricDriver {
  return {
    kind: 'metric',
    id: `requests:${observedAt}`,
    name: 'requests',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt,
    expiresAt: observedAt + 3600,
    lineage: { eventId: `m-${observedAt}`, channel: 'eventbridge', receivedAt: observedAt },
    signal: { value },
  };
}

describe('coexisting with native scaling, end to end on DynamoDB Local', () => {
  let h: Harness;
  afterEach(() => h?.close());

  async function tickAt(at: number, targetIds: string[]): Promise<void> {
    h.now.value = at;
    await h.tick({ targetIds });
  }

  it('a floor-managed group with a target-tracking policy never receives SetDesiredCapacity', async () => {
    h = await createHarness({
      config: coexistingConfig(),
      now: NOW,
      aws: {
        group: { DesiredCapacity: 6, MinSize: 2, MaxSize: 40 },
        groupPolicies: [{ PolicyName: 'cpu50-target-tracking', PolicyType: 'TargetTrackingScaling' }],
      },
    });
    const timeline: Array<() => Promise<void>> = [
      () => h.drivers.put(cpuAlarm(NOW + 10)).then(() => undefined),
      () => h.drivers.put(requests(NOW + 70, 3000)).then(() => undefined),
      () => h.drivers.put(flashSale(NOW + 130, NOW + 1800, NOW + 5400, 16)).then(() => undefined),
      () => h.drivers.put(cpuAlarm(NOW + 190, 'OK')).then(() => undefined),
    ];
    let at = NOW;
    for (const step of timeline) {
      await step();
      at += 60;
      // The group's own policy moves DesiredCapacity between ticks (here: up to 9 on CPU).
      h.aws.group.DesiredCapacity = Math.max(h.aws.group.MinSize, 9);
      await tickAt(at, ['web-asg']);
    }
    // Into the sale's lead time and through the sale; after it, an operator pins the floor back to 3 (with
    // telemetry, a policy holds when nothing demands a change).
    for (const t of [NOW + 1300, NOW + 2400]) await tickAt(t, ['web-asg']);
    await h.drivers.put(pin(NOW + 5450, 3));
    await tickAt(NOW + 5500, ['web-asg']);

    expect(h.autoScaling).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    const updates = h.autoScaling.commandCalls(UpdateAutoScalingGroupCommand).map((c) => c.args[0].input);
    expect(updates.length).toBeGreaterThan(0);
    for (const input of updates) expect(Object.keys(input).sort()).toEqual(['AutoScalingGroupName', 'MinSize']);
    // The sale raised the floor to its demand before the window, and the pin brought it down after it.
    expect(updates.map((u) => u.MinSize)).toContain(16);
    expect(h.aws.group.MinSize).toBe(3);
    // Lowering MinSize never lowered desired: the group's own policy scales in from where it was.
    expect(h.aws.group.DesiredCapacity).toBeGreaterThanOrEqual(16);

    const records = await h.decisions.list('web-asg');
    const applied = records.filter((r) => wasApplied(r.status));
    expect(applied.length).toBeGreaterThan(0);
    // Every decision says who owns what.
    for (const r of applied)
      expect(r.summary).toContain("DesiredCapacity stays with the resource's own scaling policies");
    expect(applied.some((r) => /^floor MinSize \d+→16/.test(r.summary))).toBe(true);
  });

  it('an ECS service target: the flash sale raises MinCapacity ahead of the window and lowers it after', async () => {
    h = await createHarness({
      config: coexistingConfig(),
      now: NOW,
      aws: { scalable: { MinCapacity: 2, MaxCapacity: 40, capacity: 3 } },
    });
    await h.drivers.put(flashSale(NOW, NOW + 1800, NOW + 5400, 12));
    await tickAt(NOW + 60, ['orders-ecs']);
    expect(h.applicationAutoScaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    await tickAt(NOW + 1300, ['orders-ecs']); // inside the 600 s lead time
    expect(h.aws.scalable).toMatchObject({ MinCapacity: 12, MaxCapacity: 40, capacity: 12 });
    await tickAt(NOW + 5500, ['orders-ecs']); // after the window
    expect(h.aws.scalable).toMatchObject({ MinCapacity: 2, MaxCapacity: 40 });

    const inputs = h.applicationAutoScaling.commandCalls(RegisterScalableTargetCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        ServiceNamespace: 'ecs',
        ResourceId: SCALABLE_RESOURCE_ID,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 12,
      },
      {
        ServiceNamespace: 'ecs',
        ResourceId: SCALABLE_RESOURCE_ID,
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 2,
      },
    ]);
    const records = await h.decisions.list('orders-ecs');
    const applied = records.filter((r) => wasApplied(r.status)).map((r) => r.summary);
    expect(applied).toHaveLength(2);
    expect(applied.join('\n')).toMatch(/floor MinCapacity 2→12: flash-sale/);
  });

  it('an ECS service whose scalable target was deregistered: the decision fails permanently, nothing is written', async () => {
    h = await createHarness({ config: coexistingConfig(), now: NOW, aws: { scalable: undefined } });
    await h.drivers.put(flashSale(NOW, NOW + 600, NOW + 5400, 12));
    await tickAt(NOW + 60, ['orders-ecs']);
    expect(h.applicationAutoScaling).not.toHaveReceivedCommand(RegisterScalableTargetCommand);
    const records = await h.decisions.list('orders-ecs');
    expect(records.filter((r) => wasApplied(r.status))).toHaveLength(0);
  });
});
