import {
  adaptations,
  capacityHours,
  elasticityMetrics,
  instability,
  jitter,
  provisioningAccuracy,
  provisioningTimeshare,
  requiredUnits,
  type ElasticitySample,
} from '../../local/bench/metrics';

const series = (times: number[], demand: number[], supply: number[], billed?: number[]): ElasticitySample[] =>
  times.map((t, i) => ({ t, demand: demand[i]!, supply: supply[i]!, ...(billed ? { billed: billed[i]! } : {}) }));

describe('SPEC RG elasticity metrics on hand-computed series', () => {
  // Each expectation is worked out by hand in the comment next to it.
  it.each([
    {
      name: 'one under- and one over-provisioned minute',
      samples: series([0, 60, 120, 180], [2, 4, 4, 2], [2, 2, 4, 4]),
      end: 240,
      // θU: (4-2)/4 for 60 s of 240 → 12.5 %; θO: (4-2)/2 for 60 s → 25 %; τU = τO = 60/240 = 25 %
      accuracy: { under: 12.5, over: 25 },
      timeshare: { under: 25, over: 25 },
      // every step after the first: (d+,s0), (d0,s+), (d-,s0) — never the same direction → 100 %
      instability: 100,
      // supply moved 2 units, demand 4, over 240 s = 1/15 h → (2 − 4) × 15 = −30 per hour
      jitter: -30,
      // (2+2+4+4) units × 60 s = 720 unit-seconds = 0.2 unit-hours
      hours: 0.2,
    },
    {
      name: 'perfect tracking',
      samples: series([0, 60, 120], [3, 5, 5], [3, 5, 5]),
      end: 180,
      accuracy: { under: 0, over: 0 },
      timeshare: { under: 0, over: 0 },
      instability: 0,
      jitter: 0,
      hours: (3 + 5 + 5) / 60,
    },
    {
      name: 'uneven intervals',
      samples: series([0, 100, 400], [4, 4, 4], [2, 4, 6]),
      end: 1000,
      // θU: ½ × 100 s / 1000 s = 5 %; θO: ½ × 600 s / 1000 s = 30 %; τU 100/1000, τO 600/1000
      accuracy: { under: 5, over: 30 },
      timeshare: { under: 10, over: 60 },
      // demand flat, supply rises twice: 900 s of 900 s after the first interval
      instability: 100,
      // supply 4 units, demand 0, over 1000 s → 4 × 3.6 = 14.4 per hour
      jitter: 14.4,
      hours: (2 * 100 + 4 * 300 + 6 * 600) / 3600,
    },
    {
      name: 'supply follows demand one step late',
      samples: series([0, 60, 120, 180], [1, 2, 3, 3], [1, 2, 2, 3]),
      end: 240,
      // under 1/3 for the third minute: 100 × (1/3 × 60)/240 = 8.33 %
      accuracy: { under: (100 * (60 / 3)) / 240, over: 0 },
      timeshare: { under: 25, over: 0 },
      // steps: (+,+) same, (+,0) differ, (0,+) differ → 120 of 180 s
      instability: (100 * 120) / 180,
      jitter: 0,
      hours: (1 + 2 + 2 + 3) / 60,
    },
    {
      name: 'idle demand counts as one unit (no division by zero)',
      samples: series([0], [0], [2]),
      end: 60,
      accuracy: { under: 0, over: 200 },
      timeshare: { under: 0, over: 100 },
      instability: 0,
      jitter: 0,
      hours: 2 / 60,
    },
  ])(
    '$name',
    ({ samples, end, accuracy, timeshare, instability: expectedInstability, jitter: expectedJitter, hours }) => {
      const a = provisioningAccuracy(samples, end);
      expect(a.under).toBeCloseTo(accuracy.under, 9);
      expect(a.over).toBeCloseTo(accuracy.over, 9);
      const ts = provisioningTimeshare(samples, end);
      expect(ts.under).toBeCloseTo(timeshare.under, 9);
      expect(ts.over).toBeCloseTo(timeshare.over, 9);
      expect(instability(samples, end)).toBeCloseTo(expectedInstability, 9);
      expect(jitter(samples, end).perHour).toBeCloseTo(expectedJitter, 9);
      expect(capacityHours(samples, end)).toBeCloseTo(hours, 9);
    },
  );

  it('bills warming capacity when given, and prices it', () => {
    const samples = series([0, 1800], [2, 2], [2, 2], [2, 4]);
    const m = elasticityMetrics(samples, 3600, 0.1);
    // 2 units for half an hour + 4 for half an hour = 3 unit-hours
    expect(m.capacityHours).toBeCloseTo(3, 9);
    expect(m.cost).toBeCloseTo(0.3, 9);
    expect(m.timeshareOver).toBe(0); // billed-but-warming capacity does not serve, so it is not over-provisioning
  });

  it('counts adaptations in resource units', () => {
    expect(adaptations([2, 5, 5, 1])).toBe(7);
    expect(adaptations([3])).toBe(0);
  });

  it.each([
    [500, 250, 2],
    [501, 250, 3],
    [0, 250, 0],
    [0.1, 250, 1],
  ])('requiredUnits(%d, %d) = %d', (rate, perUnit, units) => expect(requiredUnits(rate, perUnit)).toBe(units));

  it('refuses samples out of time order or past the end', () => {
    expect(() => provisioningAccuracy(series([0, 0], [1, 1], [1, 1]), 60)).toThrow(RangeError);
    expect(() => provisioningTimeshare(series([0, 60], [1, 1], [1, 1]), 60)).toThrow(/strictly increasing/);
    expect(() => capacityHours([], 60)).toThrow(/at least one sample/);
  });
});
