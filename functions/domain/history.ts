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

/** Index range [first, end) of the periods that start in [from, to), clipped to the history. */
function range(history: MetricHistory, from: number, to: number): [number, number] {
  const first = Math.max(0, Math.ceil((from - history.start) / history.stepSeconds - 1e-9));
  const end = Math.min(history.values.length, Math.ceil((to - history.start) / history.stepSeconds - 1e-9));
  return [first, end];
}

/** Mean of the valid datapoints whose period starts in [from, to) (no allocation), undefined if none. */
export function meanBetween(history: MetricHistory, from: number, to: number): number | undefined {
  const [first, end] = range(history, from, to);
  let sum = 0;
  let count = 0;
  for (let i = first; i < end; i++) {
    const v = history.values[i]!;
    if (!Number.isNaN(v)) {
      sum += v;
      count++;
    }
  }
  return count ? sum / count : undefined;
}

/** Valid datapoints whose period starts in [from, to), and their highest value (no allocation). */
export function statsBetween(
  history: MetricHistory,
  from: number,
  to: number,
): { count: number; max: number; min: number } {
  const [first, end] = range(history, from, to);
  let count = 0;
  let max = -Infinity;
  let min = Infinity;
  for (let i = first; i < end; i++) {
    const v = history.values[i]!;
    if (Number.isNaN(v)) continue;
    count++;
    if (v > max) max = v;
    if (v < min) min = v;
  }
  return { count, max, min };
}

/** Valid datapoints whose period starts in [from, to). */
export function valuesBetween(history: MetricHistory, from: number, to: number): number[] {
  const [first, end] = range(history, from, to);
  const out: number[] = [];
  for (let i = first; i < end; i++) {
    const v = history.values[i]!;
    if (!Number.isNaN(v)) out.push(v);
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
  let n = 0;
  for (let i = Math.max(1, end - NOISE_WINDOW_POINTS); i < end; i++) {
    const a = history.values[i - 1]!;
    const b = history.values[i]!;
    if (!Number.isNaN(a) && !Number.isNaN(b)) scratch[n++] = Math.abs(b - a);
  }
  if (n < NOISE_MIN_POINTS) return undefined;
  const diffs = scratch.subarray(0, n).sort();
  const mid = n >> 1;
  const median = n % 2 ? diffs[mid]! : (diffs[mid - 1]! + diffs[mid]!) / 2;
  return median * MAD_TO_SIGMA;
}

/** Reused for the differences (the engine is synchronous, so one buffer serves every call). */
const scratch = new Float64Array(NOISE_WINDOW_POINTS);
