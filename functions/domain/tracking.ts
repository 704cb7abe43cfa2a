/**
 * Target tracking on a metric, made robust to the metric's own noise when its history is known:
 *   - scale-out on a breach larger than the noise explains (the dead band) once a second datapoint confirms
 *     it, or on a breach that has lasted SUSTAINED_BREACH_DATAPOINTS datapoints, proportionally (to the
 *     lowest of the breaching datapoints); a breach inside the band that has not lasted holds;
 *   - scale-in only to the highest recommendation over the scale-down window (Kubernetes HPA's downscale
 *     stabilization), so one quiet minute between busy ones never removes capacity, and only when it removes
 *     at least the scale-in tolerance of the capacity (HPA's tolerance), so a fading peak comes down in a few
 *     larger steps rather than one unit each time the window's highest crosses a boundary.
 * Without history it is plain target tracking with scale-in tolerance, as before. Pure.
 */
import { formatDuration } from './decision-common';
import { noiseSigma, statsBetween, type MetricHistory } from './history';
import type { Rule } from './model';

type MetricRule = Extract<Rule, { kind: 'metric' }>;

/**
 * Dead band half-width in noise standard deviations. Two σ leave ~5 % of pure-noise datapoints outside
 * (~2.5 % above): a breach bigger than that is very likely load, not noise, and acts at once.
 */
export const NOISE_BAND_SIGMAS = 2;
/**
 * A breach beyond the band acts on its second datapoint: measured request rates have single-minute spikes far
 * outside any Gaussian band (heavy tails), and capacity ordered for one minute serves after the warmup, when
 * the spike is long gone. Two in a row beyond 2σ is load; it costs a real surge one minute.
 */
export const LARGE_BREACH_DATAPOINTS = 2;
/**
 * A smaller breach acts once it has lasted this many datapoints: the 3 one-minute datapoints of the high
 * alarm AWS target tracking creates, so a slow real rise is never answered later than target tracking would.
 */
export const SUSTAINED_BREACH_DATAPOINTS = 3;
/** The scale-down window must be at least half covered by history to stand in for the after-change cooldown. */
const WINDOW_MIN_COVERAGE = 0.5;

export interface TrackingRecommendation {
  demand: number;
  detail: string;
  /** A scale-in already stabilized over the window (the after-change cooldown does not apply again). */
  stabilized: boolean;
  /** Set when the recommendation withheld a change: why, for the reason codes. */
  reason?: 'within-noise-band' | 'stabilized-scale-down' | 'within-scale-in-tolerance';
}

/** Units needed for `value` at the rule's target; the epsilon keeps 500 / 250 * (1 + 1e-16) from asking for 3. */
export function unitsFor(value: number, rule: MetricRule): number {
  return Math.max(0, Math.ceil(value / rule.targetPerUnit - 1e-9));
}

/** Units that run at most (1 - tolerance) of the target: where scale-in may go (HPA's tolerance). */
export function unitsWithHeadroom(value: number, rule: MetricRule): number {
  return Math.max(unitsFor(value, rule), Math.ceil(value / rule.targetPerUnit / (1 - rule.scaleInTolerance) - 1e-9));
}

export interface TrackingInput {
  rule: MetricRule;
  value: number;
  /** Start of the period the snapshot's value describes (its own datapoint in the history, if present). */
  periodStart: number;
  currentDesired: number | undefined;
  history: MetricHistory | undefined;
  now: number;
  scaleDownSeconds: number;
}

export function trackTarget(input: TrackingInput): TrackingRecommendation {
  const { rule, value, currentDesired } = input;
  const raw = unitsFor(value, rule);
  const detail = `${value} / ${rule.targetPerUnit} per unit`;
  if (currentDesired === undefined || raw === currentDesired) return { demand: raw, detail, stabilized: false };
  return raw > currentDesired
    ? scaleOut(input, raw, detail, currentDesired)
    : scaleIn(input, raw, detail, currentDesired);
}

function scaleOut(input: TrackingInput, raw: number, detail: string, current: number): TrackingRecommendation {
  const { rule, value, history, now } = input;
  const sigma = noiseSigma(history, now);
  if (sigma === undefined) return { demand: raw, detail, stabilized: false };
  const band = NOISE_BAND_SIGMAS * sigma;
  const atTarget = current * rule.targetPerUnit;
  const bandText = `noise band ±${round(band)}`;
  const before = lastValues(history!, input.periodStart, SUSTAINED_BREACH_DATAPOINTS - 1);
  const beyond = atTarget + band;
  if (
    value > beyond &&
    before.length >= LARGE_BREACH_DATAPOINTS - 1 &&
    allAbove(before, LARGE_BREACH_DATAPOINTS - 1, beyond)
  ) {
    // Proportional to what has lasted: the lower of the breaching datapoints, not the noisiest one.
    const confirmed = Math.min(value, ...before.slice(0, LARGE_BREACH_DATAPOINTS - 1));
    return {
      demand: unitsFor(confirmed, rule),
      detail: `${detail} (above ${round(atTarget)} + ${bandText} for ${LARGE_BREACH_DATAPOINTS} datapoints)`,
      stabilized: false,
    };
  }
  if (
    before.length === SUSTAINED_BREACH_DATAPOINTS - 1 &&
    value > atTarget &&
    allAbove(before, before.length, atTarget)
  ) {
    const sustained = Math.min(value, ...before);
    return {
      demand: unitsFor(sustained, rule),
      detail: `${detail} (above ${round(atTarget)} for ${SUSTAINED_BREACH_DATAPOINTS} datapoints, lowest ${round(sustained)})`,
      stabilized: false,
    };
  }
  const why =
    value > beyond
      ? `one datapoint beyond the ${bandText} of ${round(atTarget)}`
      : `within the ${bandText} of ${round(atTarget)}`;
  return {
    demand: current,
    detail: `${detail} (${why}: holds ${current})`,
    stabilized: false,
    reason: 'within-noise-band',
  };
}

function scaleIn(input: TrackingInput, raw: number, detail: string, current: number): TrackingRecommendation {
  const { rule, value, history, now, scaleDownSeconds } = input;
  const headroom = Math.min(current, unitsWithHeadroom(value, rule));
  const tolerance = headroom > raw ? ` (scale-in keeps ${Math.round(rule.scaleInTolerance * 100)}% headroom)` : '';
  const window = history && scaleDownSeconds > 0 ? statsBetween(history, now - scaleDownSeconds, now) : undefined;
  if (!window || window.count === 0 || window.count < (WINDOW_MIN_COVERAGE * scaleDownSeconds) / history!.stepSeconds) {
    return { demand: headroom, detail: detail + tolerance, stabilized: false };
  }
  const peak = Math.max(value, window.max);
  const demand = Math.min(current, unitsWithHeadroom(peak, rule));
  const stabilized = Math.max(demand, headroom);
  if (withinScaleInTolerance(stabilized, current, rule.scaleInTolerance)) {
    const percent = Math.round(rule.scaleInTolerance * 100);
    return {
      demand: current,
      detail: `${detail}${tolerance}; scale-in to ${stabilized} removes less than ${percent}% of ${current}: holds ${current}`,
      stabilized: true,
      reason: 'within-scale-in-tolerance',
    };
  }
  if (demand <= headroom) return { demand: headroom, detail: detail + tolerance, stabilized: true };
  return {
    demand,
    detail: `${detail}${tolerance}; highest over the last ${formatDuration(scaleDownSeconds)} ${round(peak)} needs ${demand}`,
    stabilized: true,
    reason: 'stabilized-scale-down',
  };
}

/**
 * HPA's tolerance, applied to the stabilized scale-in: a scale-in from `current` to `desired` waits while it
 * would remove less than `tolerance` of the capacity (a whole unit at least, so fleets of up to 1 / tolerance
 * units scale in as before). What it keeps is at most the headroom the tolerance already stands for, and the
 * window's highest fades step by step, so without it a decaying peak costs one action per unit.
 */
export function withinScaleInTolerance(desired: number, current: number, tolerance: number): boolean {
  return desired < current && desired > Math.floor(current * (1 - tolerance) + 1e-9);
}

function allAbove(values: readonly number[], count: number, threshold: number): boolean {
  for (let i = 0; i < count; i++) if (!(values[i]! > threshold)) return false;
  return true;
}

/** The newest `count` valid datapoints of periods that started before `before`, newest first. */
function lastValues(history: MetricHistory, before: number, count: number): number[] {
  const out: number[] = [];
  const end = Math.min(history.values.length, Math.ceil((before - history.start) / history.stepSeconds));
  for (let i = end - 1; i >= 0 && out.length < count; i--) {
    const v = history.values[i]!;
    if (Number.isFinite(v)) out.push(v);
    else break; // a gap breaks "consecutive"
  }
  return out;
}

function round(n: number): string {
  return n >= 100 ? String(Math.round(n)) : String(Math.round(n * 10) / 10);
}
