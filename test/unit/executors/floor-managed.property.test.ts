/**
 * A floor-managed Auto Scaling group (`manage: floor`) whose own target-tracking policy moves DesiredCapacity
 * between decisions: over random driver sequences (alarms firing and clearing, metric snapshots, business
 * windows, pins and freezes), the engine and the ec2-asg executor never call SetDesiredCapacity and never
 * name DesiredCapacity; they only move MinSize, which ends each applied step at the decided floor.
 */
import fc from 'fast-check';
import { decide } from '../../../functions/domain/engine';
import { driverSchema, type Driver, type TargetState } from '../../../functions/domain/model';
import { createAutoScalingExecutor } from '../../../functions/executors/auto-scaling';
import { asgTarget, FakeAutoScaling, FakeClock, instantRetry } from './fakes';

const T0 = 1_795_000_000;
const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 60);

const target = asgTarget({
  resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod', manage: 'floor' },
  policy: {
    version: 'p',
    bounds: { min: 1, max: 30 },
    rules: [
      { kind: 'alarm', driver: 'cpu-high', step: 2, urgent: true },
      { kind: 'metric', driver: 'requests', targetPerUnit: 100 },
      { kind: 'business', driver: 'flash-sale', baseline: 2, leadTimeSeconds: 600 },
      { kind: 'override', driver: 'ops' },
    ],
    stabilization: { scaleUpSeconds: 60, scaleDownSeconds: 300 },
    fallback: { allocation: 2, staleAfterSeconds: 600 },
  },
});

type Step =
  | { dt: number; own: number; kind: 'alarm'; state: 'ALARM' | 'OK' }
  | { dt: number; own: number; kind: 'metric'; value: number }
  | { dt: number; own: number; kind: 'sale'; units: number; startsIn: number; lasts: number }
  | { dt: number; own: number; kind: 'pin'; units: number }
  | { dt: number; own: number; kind: 'freeze' }
  | { dt: number; own: number; kind: 'none' };

const base = { dt: fc.integer({ min: 10, max: 900 }), own: fc.integer({ min: 0, max: 30 }) };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ ...base, kind: fc.constant('alarm' as const), state: fc.constantFrom('ALARM' as const, 'OK' as const) }),
  fc.record({ ...base, kind: fc.constant('metric' as const), value: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({
    ...base,
    kind: fc.constant('sale' as const),
    units: fc.integer({ min: 0, max: 40 }),
    startsIn: fc.integer({ min: 0, max: 3600 }),
    lasts: fc.integer({ min: 60, max: 7200 }),
  }),
  fc.record({ ...base, kind: fc.constant('pin' as const), units: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ ...base, kind: fc.constant('freeze' as const) }),
  fc.record({ ...base, kind: fc.constant('none' as const) }),
);

function driverOf(step: Step, now: number, n: number): Driver | undefined {
  const common = {
    targets: ['web-asg'],
    observedAt: now,
    lineage: { eventId: `e${n}`, channel: 'api', receivedAt: now },
  };
  switch (step.kind) {
    case 'alarm':
      return driverSchema.parse({
        ...common,
        kind: 'alarm',
        id: 'alarm:cpu',
        name: 'cpu-high',
        source: 'aws.cloudwatch',
        expiresAt: now + 86400,
        signal: { alarmName: 'cpu', state: step.state },
      });
    case 'metric':
      return driverSchema.parse({
        ...common,
        kind: 'metric',
        id: `metric:${n}`,
        name: 'requests',
        source: 'drivetrain.metrics',
        expiresAt: now + 3600,
        signal: { value: step.value },
      });
    case 'sale':
      return driverSchema.parse({
        ...common,
        kind: 'business',
        id: `sale:${n}`,
        name: 'flash-sale',
        source: 'com.acme.marketing',
        expiresAt: now + step.startsIn + step.lasts + 60,
        signal: {
          type: 'demand',
          demand: { absolute: step.units },
          windowStart: now + step.startsIn,
          windowEnd: now + step.startsIn + step.lasts,
          leadTimeSeconds: 600,
        },
      });
    case 'pin':
    case 'freeze':
      return driverSchema.parse({
        ...common,
        kind: 'override',
        id: `ops:${n}`,
        name: 'ops',
        source: 'drivetrain.operator',
        expiresAt: now + 1800,
        reason: 'property',
        signal: step.kind === 'pin' ? { action: 'pin', allocation: step.units } : { action: 'freeze' },
      });
    case 'none':
      return undefined;
  }
}

describe('floor-managed ec2-asg with its own target-tracking policy (property)', () => {
  it('never receives SetDesiredCapacity, and MinSize follows the decided floor', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 25 }), async (steps) => {
        const port = new FakeAutoScaling();
        port.groups.set('web-prod', { desired: 3, min: 1, max: 30 });
        const executor = createAutoScalingExecutor(port, instantRetry(new FakeClock()));
        const drivers = new Map<string, Driver>();
        let now = T0;
        let state: TargetState = { targetId: 'web-asg', version: 0 };
        for (const [n, step] of steps.entries()) {
          now += step.dt;
          // The group's own target-tracking policy moves desired within [MinSize, MaxSize] between decisions.
          const group = port.groups.get('web-prod')!;
          port.groups.set('web-prod', { ...group, desired: Math.min(group.max, Math.max(group.min, step.own)) });
          const driver = driverOf(step, now, n);
          if (driver) drivers.set(driver.id, driver);
          const current = await executor.observe(target);
          const decision = decide(target, [...drivers.values()], { ...state, current }, now);
          for (const [i, action] of decision.actions.entries()) {
            await executor.apply(target, action, `web-asg:${n}#${i}`).catch((error: { code?: string }) => {
              // A floor above MaxSize is refused before any write; anything else is a failure of the property.
              if (error.code !== 'DesiredAboveMaxSize') throw error;
            });
          }
          if (decision.desired.kind === 'capacity' && decision.desired.floor <= group.max)
            expect(port.groups.get('web-prod')!.min).toBe(decision.desired.floor);
          state = {
            ...state,
            version: state.version + 1,
            current: decision.desired,
            ...(decision.actions.length ? { lastChangeAt: now } : {}),
          };
        }
        expect(port.calls.filter((c) => c.startsWith('SetDesiredCapacity'))).toEqual([]);
        expect(port.calls.filter((c) => c.includes('desired='))).toEqual([]);
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
