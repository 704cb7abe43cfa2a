/**
 * A metric's recent history, as the engine receives it: an input like the drivers, never fetched here (the
 * engine stays pure). In AWS it comes from CloudWatch GetMetricData (functions/ports MetricHistoryPort), in
 * replay and the benchmark from the trace's own past. Everything below is a pure function of it.
 */

export interface MetricHistory {
  /** Start of the period of `values[0]`, epoch seconds. */
  start: number;
  /** Period of one datapoint (60 for 1-minute CloudWatch data). */
  stepSeconds: number;
  /** Oldest first, one per period; NaN where the period has no datapoint (CloudWatch leaves gaps). */
  values: ArrayLike<number>;
}

/** Metric histories by metric driver name. */
export type MetricHistories = Readonly<Record<string, MetricHistory | undefined>>;

/**
 * Datapoints the noise estimate looks at: half an hour of minutes. Long enough for a robust spread (the median
 * of 30 differences has a standard error of ~20 %), short enough that a daily ramp barely moves it.
 */
export const NOISE_WINDOW_POINTS = 30;
/** Fewer valid differences than this and the noise is unknown (no dead band): 10 minutes of 1-minute data. */
export const NOISE_MIN_POINTS = 10;
/** 0.6745 = the median absolute deviation of a standard normal; √2 because a difference carries two draws. */
const MAD_TO_SIGMA = 1 / (0.6745 * Math.SQRT2);

/** Index of the period containing `t` (may be out of range). */
export function indexAt(history: MetricHistory, t: number): number {
  return Math.floor((t - history.start) / history.stepSeconds);
}

/** Valid datapoints whose period starts in [from, to). */
export function valuesBetween(history: MetricHistory, from: number, to: number): number[] {
  const { values } = history;
  const out: number[] = [];
  const first = Math.max(0, Math.ceil((from - history.start) / history.stepSeconds));
  for (let i = first; i < values.length; i++) {
    if (history.start + i * history.stepSeconds >= to) break;
    const v = values[i]!;
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/**
 * The metric's own minute-to-minute noise, as a standard deviation in metric units: the median absolute
 * first difference over the last NOISE_WINDOW_POINTS before `now`, scaled to σ. Differences cancel the slow
 * daily level; the median ignores the occasional real step. Undefined when the history is too short.
 */
export function noiseSigma(history: MetricHistory | undefined, now: number): number | undefined {
  if (!history) return undefined;
  const end = Math.min(history.values.length, indexAt(history, now));
  const diffs: number[] = [];
  for (let i = Math.max(1, end - NOISE_WINDOW_POINTS); i < end; i++) {
    const a = history.values[i - 1]!;
    const b = history.values[i]!;
    if (Number.isFinite(a) && Number.isFinite(b)) diffs.push(Math.abs(b - a));
  }
  if (diffs.length < NOISE_MIN_POINTS) return undefined;
  diffs.sort((x, y) => x - y);
  const mid = diffs.length >> 1;
  const median = diffs.length % 2 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
  return median * MAD_TO_SIGMA;
}
