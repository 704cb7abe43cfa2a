/**
 * SPEC Research Group elasticity metrics (Herbst et al., "Ready for Rain? A View from SPEC Research on the
 * Future of Cloud Metrics", SPEC-RG-2016-01, revised as "Quantifying Cloud Performance and Dependability",
 * ACM TOMPECS 2018), computed over step functions: demand d(t) = resource units needed to meet the service
 * objective, supply s(t) = units actually serving. Each sample holds until the next one; the last until `end`.
 *
 *   θU, θO  provisioning accuracy: time-weighted mean of (d−s)⁺/d and (s−d)⁺/d, in % of demand.
 *   τU, τO  wrong-provisioning timeshare: share of time with s < d (resp. s > d), in %.
 *   υ       instability: share of time (after the first interval) in which supply and demand do not move in
 *           the same direction, min(|sgn Δs − sgn Δd|, 1), in %.
 *   j       jitter: (supply adaptations − demand adaptations) per hour. Negative: supply too sluggish to
 *           follow demand; positive: supply oscillates more than demand does.
 *
 * Step-function integration and counting adaptations in resource units follow the authors' reference
 * implementation (BUNGEE: metric/AbstractAreaDuration.java, AbstractScaleEvents.java, Jitter.java,
 * Instability.java). Normalising accuracy by demand is the paper's %-form; BUNGEE's absolute form divides
 * the area by T only. Demand below one unit is treated as one unit so an idle period cannot divide by zero.
 */

export interface ElasticitySample {
  /** Start of the interval, epoch seconds. */
  t: number;
  /** Resource units needed at the service objective. */
  demand: number;
  /** Resource units serving (warm, in service). */
  supply: number;
  /** Resource units paid for (serving plus still warming up); defaults to supply. */
  billed?: number;
}

export interface ElasticityMetrics {
  /** θU: under-provisioning accuracy, % of demand (0 is perfect). */
  accuracyUnder: number;
  /** θO: over-provisioning accuracy, % of demand. */
  accuracyOver: number;
  /** τU: % of time under-provisioned. */
  timeshareUnder: number;
  /** τO: % of time over-provisioned. */
  timeshareOver: number;
  /** υ: % of time supply and demand move in different directions. */
  instability: number;
  /** j: adaptations per hour, supply minus demand. */
  jitter: number;
  supplyAdaptations: number;
  demandAdaptations: number;
  /** ∫ billed dt, in unit-hours. */
  capacityHours: number;
  /** capacityHours × unit price. */
  cost: number;
  durationSeconds: number;
}

function intervals(samples: readonly ElasticitySample[], end: number): number[] {
  if (samples.length === 0) throw new RangeError('elasticity metrics need at least one sample');
  return samples.map((s, i) => {
    const next = i + 1 < samples.length ? samples[i + 1]!.t : end;
    const dt = next - s.t;
    if (!(dt > 0))
      throw new RangeError(
        `samples must be in strictly increasing time order and before end (at index ${i}: ${s.t} → ${next})`,
      );
    return dt;
  });
}

export function provisioningAccuracy(
  samples: readonly ElasticitySample[],
  end: number,
): { under: number; over: number } {
  const dts = intervals(samples, end);
  const total = end - samples[0]!.t;
  let under = 0;
  let over = 0;
  samples.forEach((s, i) => {
    const base = Math.max(s.demand, 1);
    under += (Math.max(s.demand - s.supply, 0) / base) * dts[i]!;
    over += (Math.max(s.supply - s.demand, 0) / base) * dts[i]!;
  });
  return { under: (100 * under) / total, over: (100 * over) / total };
}

export function provisioningTimeshare(
  samples: readonly ElasticitySample[],
  end: number,
): { under: number; over: number } {
  const dts = intervals(samples, end);
  const total = end - samples[0]!.t;
  let under = 0;
  let over = 0;
  samples.forEach((s, i) => {
    if (s.supply < s.demand) under += dts[i]!;
    else if (s.supply > s.demand) over += dts[i]!;
  });
  return { under: (100 * under) / total, over: (100 * over) / total };
}

export function instability(samples: readonly ElasticitySample[], end: number): number {
  const dts = intervals(samples, end);
  if (samples.length < 2) return 0;
  let unstable = 0;
  let counted = 0;
  for (let i = 1; i < samples.length; i++) {
    const dd = Math.sign(samples[i]!.demand - samples[i - 1]!.demand);
    const ds = Math.sign(samples[i]!.supply - samples[i - 1]!.supply);
    if (dd !== ds) unstable += dts[i]!;
    counted += dts[i]!;
  }
  return (100 * unstable) / counted;
}

/** Adaptations counted in resource units: a step of +3 is three adaptations (as BUNGEE counts them). */
export function adaptations(values: readonly number[]): number {
  let count = 0;
  for (let i = 1; i < values.length; i++) count += Math.abs(values[i]! - values[i - 1]!);
  return count;
}

export function jitter(
  samples: readonly ElasticitySample[],
  end: number,
): { perHour: number; supply: number; demand: number } {
  intervals(samples, end);
  const supply = adaptations(samples.map((s) => s.supply));
  const demand = adaptations(samples.map((s) => s.demand));
  const hours = (end - samples[0]!.t) / 3600;
  return { perHour: (supply - demand) / hours, supply, demand };
}

export function capacityHours(samples: readonly ElasticitySample[], end: number): number {
  const dts = intervals(samples, end);
  return samples.reduce((sum, s, i) => sum + (s.billed ?? s.supply) * dts[i]!, 0) / 3600;
}

export function elasticityMetrics(
  samples: readonly ElasticitySample[],
  end: number,
  unitHourlyPrice: number,
): ElasticityMetrics {
  const accuracy = provisioningAccuracy(samples, end);
  const timeshare = provisioningTimeshare(samples, end);
  const j = jitter(samples, end);
  const hours = capacityHours(samples, end);
  return {
    accuracyUnder: accuracy.under,
    accuracyOver: accuracy.over,
    timeshareUnder: timeshare.under,
    timeshareOver: timeshare.over,
    instability: instability(samples, end),
    jitter: j.perHour,
    supplyAdaptations: j.supply,
    demandAdaptations: j.demand,
    capacityHours: hours,
    cost: hours * unitHourlyPrice,
    durationSeconds: end - samples[0]!.t,
  };
}

/** Units needed to serve `rate` when one unit serves `perUnit` within its objective. */
export function requiredUnits(rate: number, perUnit: number): number {
  return Math.max(0, Math.ceil(rate / perUnit - 1e-9));
}
