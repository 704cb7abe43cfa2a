/**
 * Whatever the engine decides is storable (issue 10, violation 7): for any drivers the canonical schema
 * accepts and any policy the config accepts, every number in the decision is one DynamoDB (through
 * lib-dynamodb) can hold. The handler-level proof is test/reliability/hostile-numbers.test.ts.
 */
import fc from 'fast-check';
import { decide } from '../../../functions/domain/engine';
import { driverSchema, type Driver } from '../../../functions/domain/model';
import {
  firstUnstorableNumber,
  isStorableNumber,
  MEASUREMENT_MAX,
  saturate,
  STORABLE_MAX,
} from '../../../functions/domain/numbers';
import { storableDecision } from '../../../functions/domain/storable';
import { capacityTarget, T0 } from './builders';

function snapshot(value: number): Driver {
  return driverSchema.parse({
    id: 'metric:requests',
    name: 'requests',
    kind: 'metric',
    source: 'drivetrain.metrics',
    targets: ['web-asg'],
    observedAt: T0,
    expiresAt: T0 + 3600,
    lineage: { eventId: 'evt', channel: 'eventbridge', receivedAt: T0 },
    signal: { value },
  });
}

describe('storable numbers', () => {
  it.each([
    [0, true],
    [STORABLE_MAX, true],
    [-STORABLE_MAX, true],
    [STORABLE_MAX + 2, false],
    [1e-130, true],
    [1e-131, false],
    [5e-324, false],
    [Number.NaN, false],
    [Infinity, false],
  ])('%d storable: %s', (n, expected) => {
    expect(isStorableNumber(n)).toBe(expected);
    expect(isStorableNumber(saturate(n))).toBe(true);
  });

  it('finds the path of the first unstorable number', () => {
    expect(firstUnstorableNumber({ a: [1, { b: 1e-200 }] })).toBe('a[1].b');
    expect(firstUnstorableNumber({ a: [1, { b: 2 }] })).toBeUndefined();
  });

  it('saturates a considered demand and says so; leaves a storable decision as it is', () => {
    const target = capacityTarget({ rules: [{ kind: 'metric', driver: 'requests', targetPerUnit: 1e-9 }] });
    const decision = decide(
      target,
      [snapshot(MEASUREMENT_MAX)],
      { targetId: 'web-asg', version: 1, current: { kind: 'capacity', desired: 6, floor: 2 } },
      T0 + 1,
    );
    const entry = decision.considered[0]!;
    expect(entry.demand).toBe(STORABLE_MAX);
    expect(entry.detail).toMatch(/saturated to 9007199254740991/);
    expect(decision.desired).toMatchObject({ desired: 18 }); // 6 + maxStepUp 12: the step limit still holds
    const plain = decide(capacityTarget(), [snapshot(1000)], undefined, T0 + 1);
    expect(storableDecision(plain)).toBe(plain);
  });

  it('every number of any decision is storable (fast-check over measurements and metric rules)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -MEASUREMENT_MAX, max: MEASUREMENT_MAX, noNaN: true }),
        fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true }),
        fc.integer({ min: 0, max: 40 }),
        (value, targetPerUnit, desired) => {
          const target = capacityTarget({ rules: [{ kind: 'metric', driver: 'requests', targetPerUnit }] });
          const drivers = Math.abs(value) > 0 && Math.abs(value) < 1e-100 ? [] : [snapshot(value)];
          const decision = decide(
            target,
            drivers,
            { targetId: 'web-asg', version: 1, current: { kind: 'capacity', desired, floor: 2 } },
            T0 + 1,
          );
          expect(firstUnstorableNumber(decision)).toBeUndefined();
        },
      ),
      { numRuns: 500, seed: 10 },
    );
  });
});
