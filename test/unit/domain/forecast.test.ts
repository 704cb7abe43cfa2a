/**
 * The forecast (functions/domain/forecast.ts) and the metric's noise estimate (history.ts), on their own:
 * a seasonal trace is forecast within its band, a short/broken/erratic history abstains with a reason, and
 * the noise estimate measures the noise, not the daily level.
 */
import fc from 'fast-check';
import { forecastMetric, FORECAST_MAX_BAND, trendForecast } from '../../../functions/domain/forecast';
import { noiseSigma, valuesBetween, type MetricHistory } from '../../../functions/domain/history';
import { mulberry32 } from '../../../local/random';

const DAY = 86_400;
/** Midnight UTC, so the daily shape below is easy to read. */
const START = 1_795_737_600;

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** `days` of one-minute data: 1000 + 800·(daily bump peaking at 20:00) with multiplicative noise σ. */
function dailyTrace(days: number, sigma: number, seed: number, level = 1): MetricHistory {
  const random = mulberry32(seed);
  const values: number[] = [];
  for (let m = 0; m < days * 1440; m++) {
    const hour = (m % 1440) / 60;
    const shape = 1000 + 800 * Math.exp(-(((hour - 20) / 3) ** 2)) + 600 * Math.exp(-(((hour - 9) / 1) ** 2));
    values.push(level * shape * (1 + sigma * gaussian(random)));
  }
  return { start: START, stepSeconds: 60, values };
}

function actualPeak(history: MetricHistory, now: number, lead: number): number {
  let best = 0;
  for (let t = now; t < now + lead; t += 300) {
    const block = valuesBetween(history, t, t + 300);
    best = Math.max(best, block.reduce((a, b) => a + b, 0) / block.length);
  }
  return best;
}

describe('forecastMetric', () => {
  it('forecasts a seasonal trace within its band: the 90 % band covers ≥ 80 % of instants overall, ≥ 65 % in every day', () => {
    let inside = 0;
    let made = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        (seed, level) => {
          // 8 days: the 8th is forecast from the 7 before it, at 40 instants through the day.
          const full = dailyTrace(8, 0.05, seed, level);
          let day = 0;
          for (let k = 0; k < 40; k++) {
            const now = START + 7 * DAY + 3600 + k * 1980;
            const past: MetricHistory = { ...full, values: Array.from(full.values).slice(0, (now - START) / 60) };
            const result = forecastMetric(past, now, 600);
            expect(result.ok).toBe(true);
            if (!result.ok) continue;
            made++;
            const { value, band } = result.forecast;
            if (Math.abs(actualPeak(full, now, 600) - value) <= band * value) {
              inside++;
              day++;
            }
          }
          expect(day / 40).toBeGreaterThanOrEqual(0.65);
        },
      ),
      // Measured on 60 seeds: median 85 %, worst 70 % — the peak of two noisy blocks sits a little above the
      // blocks the band is measured on. A fixed seed keeps the check deterministic.
      { numRuns: 15, seed: 12 },
    );
    expect(inside / made).toBeGreaterThanOrEqual(0.8);
  });

  it('uses last week when it has it, yesterday otherwise, a trend without a day', () => {
    const week = dailyTrace(8, 0.02, 7);
    const at = (days: number) => START + days * DAY + 19 * 3600;
    const slice = (h: MetricHistory, days: number): MetricHistory => ({
      ...h,
      values: Array.from(h.values).slice(0, (at(days) - START) / 60),
    });
    expect(forecastMetric(slice(week, 7), at(7), 600)).toMatchObject({
      ok: true,
      forecast: { basis: '7d of history' },
    });
    expect(forecastMetric(slice(week, 2), at(2), 600)).toMatchObject({
      ok: true,
      forecast: { basis: '1d of history' },
    });
    expect(forecastMetric(slice(week, 0), at(0), 600)).toMatchObject({
      ok: true,
      forecast: { basis: 'trend over 60m' },
    });
  });

  it('pre-warms for the evening peak from yesterday, level-corrected for a busier today', () => {
    const yesterday = dailyTrace(1, 0, 1).values as number[];
    const today = (dailyTrace(1, 0, 1).values as number[]).map((v) => v * 1.5);
    const now = START + DAY + 19 * 3600; // 19:00, the peak (2,700 today) is at 20:00
    const history: MetricHistory = {
      start: START,
      stepSeconds: 60,
      values: [...yesterday, ...today.slice(0, 19 * 60)],
    };
    const result = forecastMetric(history, now, 3600);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.forecast.value).toBeGreaterThan(2600);
    expect(result.forecast.value).toBeLessThan(2750);
    expect(result.forecast.band).toBeLessThan(0.01);
  });

  it.each<[string, MetricHistory | undefined, RegExp]>([
    ['no history', undefined, /^no history of the metric$/],
    ['empty history', { start: START, stepSeconds: 60, values: [] }, /^no history of the metric$/],
    [
      '20 minutes of history',
      { start: START + 3600 - 1200, stepSeconds: 60, values: Array(20).fill(1000) },
      /^history too short: 20 of 60 minutes$/,
    ],
    [
      'an hour with most datapoints missing',
      { start: START, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => (i % 4 ? Number.NaN : 1000)) },
      /^history broken: 75% of the last hour missing$/,
    ],
    [
      'negative datapoints',
      { start: START, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => (i === 30 ? -5 : 1000)) },
      /^history broken: negative datapoints$/,
    ],
    [
      'a history that does not predict itself',
      { start: START, stepSeconds: 60, values: Array.from({ length: 60 }, (_, i) => (i % 2 ? 100 : 5000)) },
      /^history too erratic to forecast/,
    ],
  ])('abstains with a reason on %s', (_name, history, reason) => {
    const result = forecastMetric(history, START + 3600, 600);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.abstain).toMatch(reason);
  });

  it('follows a steady ramp with Holt’s trend', () => {
    const values = Array.from({ length: 60 }, (_, i) => 1000 + 10 * i); // +10 per minute
    const result = trendForecast({ start: START, stepSeconds: 60, values }, START + 3600, 600);
    expect(result.ok && result.forecast.value).toBeGreaterThan(1590 + 50); // 1590 now, ~1690 in 10 minutes
    expect(result.ok && result.forecast.value).toBeLessThan(1740);
    expect(result.ok && result.forecast.band).toBeLessThan(FORECAST_MAX_BAND);
  });
});

describe('noiseSigma', () => {
  it('measures the minute-to-minute noise, not the daily level', () => {
    const random = mulberry32(3);
    // a steep ramp (+20 per minute) plus σ = 50 noise: differences cancel the ramp
    const values = Array.from({ length: 60 }, (_, i) => 1000 + 20 * i + 50 * gaussian(random));
    const sigma = noiseSigma({ start: START, stepSeconds: 60, values }, START + 3600)!;
    expect(sigma).toBeGreaterThan(30);
    expect(sigma).toBeLessThan(80);
  });

  it('is unknown on a short history and ignores gaps', () => {
    expect(noiseSigma({ start: START, stepSeconds: 60, values: [1, 2, 3] }, START + 180)).toBeUndefined();
    const gappy = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? Number.NaN : i % 2 ? 1100 : 900));
    expect(noiseSigma({ start: START, stepSeconds: 60, values: gappy }, START + 1800)).toBeGreaterThan(0);
  });
});
