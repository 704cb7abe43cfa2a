/**
 * Forecast of a metric at now + lead from its own history: seasonal (same time yesterday, last week), level-
 * corrected by how today compares with that day, or, without a season's worth of history, Holt's linear
 * trend over the last hour. Each forecast carries a confidence band measured on the last hour (how well the
 * method would have predicted it); a forecast whose history is missing, short, broken or too erratic abstains
 * with a reason instead. Pure: history is an argument.
 */
import { meanBetween, statsBetween, valuesBetween, type MetricHistory } from './history';

/** Seasons tried, longest first: last week keeps weekday/weekend apart, yesterday needs only a day of data. */
export const FORECAST_SEASONS_SECONDS = [7 * 86400, 86400] as const;
/** The forecast looks at the last hour: long enough to average minute noise, short enough to follow today. */
export const FORECAST_RECENT_SECONDS = 3600;
/** Level = mean of the last 15 minutes (one datapoint's noise shrinks by √15 ≈ 4×, a ramp lags 7.5 minutes). */
export const FORECAST_LEVEL_SECONDS = 900;
/** Blocks the band is measured in: 5-minute means (a capacity change takes minutes to serve anyway). */
export const FORECAST_BLOCK_SECONDS = 300;
/** At least half of the last hour must be there; with more missing the history is broken, not just noisy. */
export const FORECAST_MIN_COVERAGE = 0.5;
/**
 * Widest band (relative) a forecast may act on: ±50 %. Beyond it the history does not predict the metric
 * better than a coin would the direction, and the rule abstains rather than pre-warm on a guess.
 */
export const FORECAST_MAX_BAND = 0.5;
/** z of a two-sided 90 % band on normal residuals. */
const BAND_Z = 1.645;
/** Holt's smoothing: α 0.3 (level follows in ~3 datapoints), β 0.1 (trend in ~10): common textbook defaults. */
const HOLT_ALPHA = 0.3;
const HOLT_BETA = 0.1;

export interface Forecast {
  /** Highest 5-minute mean the metric is expected to reach between now and now + lead. */
  value: number;
  /**
   * Highest the forecast asked for over the stabilization window (what it expected from now - window to
   * now + lead): a forecast-driven scale-in is stabilized like a reactive one, not undone the next minute.
   */
  held: number;
  /** Relative half-width of the 90 % band (0.08 = ±8 %). */
  band: number;
  /** When the forecast peak is expected (epoch seconds). */
  at: number;
  /** How it was made, for the explanation: "7d of history" / "trend over 1h". */
  basis: string;
}
export type ForecastResult = { ok: true; forecast: Forecast } | { ok: false; abstain: string };

function blockMean(history: MetricHistory, from: number): number | undefined {
  return meanBetween(history, from, from + FORECAST_BLOCK_SECONDS);
}

/** The metric's expected peak over (now, now + lead], or why there is no forecast. */
export function forecastMetric(
  history: MetricHistory | undefined,
  now: number,
  leadSeconds: number,
  holdSeconds = 0,
): ForecastResult {
  if (!history || history.values.length === 0) return { ok: false, abstain: 'no history of the metric' };
  const recent = statsBetween(history, now - FORECAST_RECENT_SECONDS, now);
  const expected = FORECAST_RECENT_SECONDS / history.stepSeconds;
  if (recent.min < 0) return { ok: false, abstain: 'history broken: negative datapoints' };
  const coverage = recent.count / expected;
  if (coverage < FORECAST_MIN_COVERAGE) {
    const span = Math.min(history.values.length * history.stepSeconds, now - history.start);
    return {
      ok: false,
      abstain:
        span < FORECAST_RECENT_SECONDS
          ? `history too short: ${Math.round(span / 60)} of ${FORECAST_RECENT_SECONDS / 60} minutes`
          : `history broken: ${Math.round((1 - coverage) * 100)}% of the last hour missing`,
    };
  }
  const level = meanBetween(history, now - FORECAST_LEVEL_SECONDS, now);
  if (level === undefined) return { ok: false, abstain: 'history broken: no datapoint in the last 15 minutes' };
  const result =
    seasonalForecast(history, now, leadSeconds, level, holdSeconds) ?? trendForecast(history, now, leadSeconds);
  if (!result.ok) return result;
  if (!(result.forecast.band <= FORECAST_MAX_BAND))
    return {
      ok: false,
      abstain: `history too erratic to forecast (±${Math.round(result.forecast.band * 100)}% > ±${FORECAST_MAX_BAND * 100}%)`,
    };
  return result;
}

/** Yesterday's (last week's) shape over the lead, scaled by how today's level compares with that day's. */
export function seasonalForecast(
  history: MetricHistory,
  now: number,
  leadSeconds: number,
  level: number,
  holdSeconds = 0,
): ForecastResult | undefined {
  for (const season of FORECAST_SEASONS_SECONDS) {
    const then = now - season;
    if (then - FORECAST_RECENT_SECONDS < history.start) continue;
    const pastLevel = meanBetween(history, then - FORECAST_LEVEL_SECONDS, then);
    const pastPeak = peakBlock(history, then, leadSeconds);
    if (pastLevel === undefined || pastPeak === undefined || !(pastLevel > 0)) continue;
    const band = seasonalBand(history, now, season);
    if (band === undefined) continue;
    const scale = level / pastLevel;
    const held =
      holdSeconds > 0
        ? (peakBlock(history, then - holdSeconds, holdSeconds + leadSeconds)?.value ?? pastPeak.value)
        : pastPeak.value;
    return {
      ok: true,
      forecast: {
        value: pastPeak.value * scale,
        held: Math.max(held, pastPeak.value) * scale,
        band,
        at: pastPeak.at + season,
        basis: `${Math.round(season / 86400)}d of history`,
      },
    };
  }
  return undefined;
}

function peakBlock(
  history: MetricHistory,
  from: number,
  leadSeconds: number,
): { value: number; at: number } | undefined {
  let best: { value: number; at: number } | undefined;
  for (let t = from; t < from + leadSeconds; t += FORECAST_BLOCK_SECONDS) {
    const value = blockMean(history, t);
    if (value !== undefined && (!best || value > best.value)) best = { value, at: t + FORECAST_BLOCK_SECONDS };
  }
  return best;
}

/** 90 % band of the relative error the level-corrected season made on the last hour's 5-minute blocks. */
function seasonalBand(history: MetricHistory, now: number, season: number): number | undefined {
  const blocks = FORECAST_RECENT_SECONDS / FORECAST_BLOCK_SECONDS;
  const todayLevel = meanBetween(history, now - FORECAST_RECENT_SECONDS, now);
  const pastLevel = meanBetween(history, now - season - FORECAST_RECENT_SECONDS, now - season);
  if (todayLevel === undefined || pastLevel === undefined || !(pastLevel > 0)) return undefined;
  let squares = 0;
  let count = 0;
  for (let b = 0; b < blocks; b++) {
    const t = now - FORECAST_RECENT_SECONDS + b * FORECAST_BLOCK_SECONDS;
    const actual = blockMean(history, t);
    const past = blockMean(history, t - season);
    if (actual === undefined || past === undefined || !(past > 0)) continue;
    const error = (actual - past * (todayLevel / pastLevel)) / Math.max(actual, 1e-9);
    squares += error * error;
    count++;
  }
  return count < blocks / 2 ? undefined : BAND_Z * Math.sqrt(squares / count);
}

function rms(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v * v;
  return Math.sqrt(sum / values.length);
}

/** Holt's linear trend over the last hour, extrapolated to now + lead; band from its one-step errors. */
export function trendForecast(history: MetricHistory, now: number, leadSeconds: number): ForecastResult {
  const values = valuesBetween(history, now - FORECAST_RECENT_SECONDS, now);
  let level = values[0]!;
  let trend = 0;
  const errors: number[] = [];
  for (let i = 1; i < values.length; i++) {
    const predicted = level + trend;
    const v = values[i]!;
    errors.push((v - predicted) / Math.max(Math.abs(v), 1e-9));
    const nextLevel = HOLT_ALPHA * v + (1 - HOLT_ALPHA) * predicted;
    trend = HOLT_BETA * (nextLevel - level) + (1 - HOLT_BETA) * trend;
    level = nextLevel;
  }
  const steps = leadSeconds / history.stepSeconds;
  // Peak over the horizon: with a falling trend the nearest value is the highest.
  const value = Math.max(level, level + trend * steps, 0);
  // One-step errors of single datapoints; the forecast is of the level, so the band uses the smoothed error.
  const band =
    BAND_Z * rms(errors) * Math.sqrt(HOLT_ALPHA / (2 - HOLT_ALPHA)) * Math.sqrt(1 + steps * HOLT_BETA * HOLT_BETA);
  // A trend has no memory of what it asked before; the reactive rule's own stabilization holds its scale-ins.
  return {
    ok: true,
    forecast: {
      value,
      held: value,
      band,
      at: now + leadSeconds,
      basis: `trend over ${Math.round(FORECAST_RECENT_SECONDS / 60)}m`,
    },
  };
}
