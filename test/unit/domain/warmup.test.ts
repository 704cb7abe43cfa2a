/**
 * Measured warmup: the ring of time-to-serve samples, its p90, and `leadTimeSeconds: auto` in the engine
 * (a business window pre-warms by the measured p90, the default until enough samples, explained either way).
 */
import { decide } from '../../../functions/domain/engine';
import {
  AUTO_LEAD_DEFAULT_SECONDS,
  MIN_WARMUP_SAMPLES,
  TIME_TO_SERVE_SAMPLES,
  addTimeToServe,
  leadTimeOf,
  p90,
} from '../../../functions/domain/warmup';
import { T0, capacityState, capacityTarget, demand } from './builders';

describe('time-to-serve samples', () => {
  test('p90 is a measured value (nearest rank), undefined without samples', () => {
    expect(p90([])).toBeUndefined();
    expect(p90([300])).toBe(300);
    // 10 samples: the 9th smallest; one outlier in ten does not set it.
    expect(p90([100, 110, 120, 130, 140, 150, 160, 170, 180, 2000])).toBe(180);
    expect(p90([420, 60, 300, 240, 180, 120, 360, 480, 540, 600, 30, 90])).toBe(540);
  });

  test('the ring keeps the newest TIME_TO_SERVE_SAMPLES, rounded, oldest first', () => {
    let samples: number[] | undefined;
    for (let i = 1; i <= TIME_TO_SERVE_SAMPLES + 3; i++) samples = addTimeToServe(samples, i + 0.4);
    expect(samples).toHaveLength(TIME_TO_SERVE_SAMPLES);
    expect(samples![0]).toBe(4);
    expect(samples!.at(-1)).toBe(TIME_TO_SERVE_SAMPLES + 3);
  });

  test('auto uses the default below MIN_WARMUP_SAMPLES and the measured p90 from then on', () => {
    const few = Array.from({ length: MIN_WARMUP_SAMPLES - 1 }, () => 120);
    expect(leadTimeOf('auto', few)).toEqual({
      seconds: AUTO_LEAD_DEFAULT_SECONDS,
      explain: `lead 10m: default, ${MIN_WARMUP_SAMPLES - 1} of ${MIN_WARMUP_SAMPLES} warmups measured`,
    });
    const twelve = [420, 60, 300, 240, 180, 120, 360, 480, 400, 380, 30, 90];
    expect(leadTimeOf('auto', twelve)).toEqual({
      seconds: 420,
      explain: 'lead 7m: measured p90 warmup of 12 launches',
    });
    expect(leadTimeOf(900, twelve)).toEqual({ seconds: 900, explain: 'lead 15m' });
  });
});

describe('leadTimeSeconds: auto in a business rule', () => {
  const rules = [{ kind: 'business' as const, driver: 'flash-sale', baseline: 4, leadTimeSeconds: 'auto' as const }];
  const target = capacityTarget({ rules });
  const state = capacityState(6, { lastChangeAt: T0 - 86_400 });
  const measured = [420, 60, 300, 240, 180, 120, 360, 480, 400, 380, 30, 90];

  test('pre-warms by the measured p90 and says so in the summary and the driver detail', () => {
    const sale = demand('flash-sale', { multiplier: 3 }, T0 + 420, T0 + 4000, { id: 'sale' });
    const decision = decide(target, [sale], state, T0, { timeToServe: measured });
    expect(decision.desired).toMatchObject({ desired: 12 });
    expect(decision.reasons).toContain('business-lead-time');
    expect(decision.summary).toContain('flash-sale (lead 7m: measured p90 warmup of 12 launches)');
    expect(decision.considered[0]!.detail).toBe(
      'pre-warm: window opens in 7m (lead 7m: measured p90 warmup of 12 launches)',
    );
  });

  test('one second before the measured lead the window is not open yet', () => {
    const sale = demand('flash-sale', { multiplier: 3 }, T0 + 421, T0 + 4000, { id: 'sale' });
    const decision = decide(target, [sale], state, T0, { timeToServe: measured });
    expect(decision.considered[0]!.outcome).toBe('out-of-window');
  });

  test('without enough samples the default lead applies, explained', () => {
    const sale = demand('flash-sale', { multiplier: 3 }, T0 + 600, T0 + 4000, { id: 'sale' });
    const decision = decide(target, [sale], state, T0, { timeToServe: [200, 300] });
    expect(decision.reasons).toContain('business-lead-time');
    expect(decision.summary).toContain('(lead 10m: default, 2 of 5 warmups measured)');
  });
});
