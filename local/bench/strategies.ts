/**
 * The two baselines Drivetrain is benchmarked against. Both act on the same simulated Auto Scaling group
 * (same instance warmup) and see the same 1-minute datapoints Drivetrain sees.
 *
 * AWS target tracking for EC2 Auto Scaling, modelled from the AWS documentation:
 *  - The policy is driven by the two CloudWatch alarms Auto Scaling creates for it: the high alarm needs 3
 *    consecutive 1-minute datapoints above the target to scale out, the low alarm 15 below it to scale in.
 *  - Scale-out is proportional and prompt, scale-in is deliberately conservative: the docs ("How target
 *    tracking scaling for Application Auto Scaling works") say capacity is removed only once utilization is
 *    far enough below the target, usually more than 10% — modelled as a low threshold at 90% of the target —
 *    and never so much that the metric would climb back above the target.
 *  - Default instance warmup ("Set the default instance warmup for an Auto Scaling group", EC2 Auto Scaling
 *    User Guide): a warming instance's usage is left out of the aggregated metric; while instances warm up
 *    the policy scales out only if the metric of the warm instances is above the target, counts the warming
 *    instances as current capacity (so repeated breaches do not add the same capacity twice), and does not
 *    scale in until the warmup is over.
 *  - An alarm that stays in ALARM invokes the policy again every period, so the model re-evaluates each
 *    minute while the breach lasts.
 *  - Scale-out is proportional: desired = ceil(inService × metric / target) = ceil(load / target), the
 *    warming instances neither counted in the metric nor in the "current" the change is computed from (so
 *    a second breach during warmup adds only what the metric adds; AWS re:Post's worked example 4+1, 4+2).
 *  - A scale action is one change of the desired capacity (the benchmark counts those, not units).
 *
 * Static schedule: the hourly plan an operator writes from last week's profile (traces/manifest.json),
 * applied one warmup ahead of each boundary so the capacity is warm on time, plus a scheduled action for
 * each announced business event (the same notice Drivetrain gets), starting one lead time ahead.
 */
import { leadTimeOf } from '../../functions/domain/warmup';
import type { Driver, Policy } from '../../functions/domain/model';
import type { SimulatedFleet } from '../simulator/fleet';
import { scheduledCapacity } from './trace';

export interface TargetTrackingOptions {
  groupName: string;
  /** Target value: requests/s per serving instance. */
  targetValue: number;
  /** High alarm: consecutive 1-minute datapoints above the target before scaling out. */
  scaleOutDatapoints?: number;
  /** Low alarm: consecutive datapoints below the low threshold before scaling in. */
  scaleInDatapoints?: number;
  /** Low threshold as a fraction of the target ("usually more than 10% lower"). */
  scaleInThreshold?: number;
}

export class TargetTrackingModel {
  readonly #fleet: SimulatedFleet;
  readonly #options: Required<TargetTrackingOptions>;
  #above = 0;
  #below = 0;

  constructor(fleet: SimulatedFleet, options: TargetTrackingOptions) {
    this.#fleet = fleet;
    this.#options = { scaleOutDatapoints: 3, scaleInDatapoints: 15, scaleInThreshold: 0.9, ...options };
  }

  /** Called once per minute with the total load of the minute that just ended (requests/s). */
  evaluate(load: number): 'scale-out' | 'scale-in' | 'hold' {
    const { groupName, targetValue, scaleOutDatapoints, scaleInDatapoints, scaleInThreshold } = this.#options;
    const group = this.#fleet.groupStatus(groupName);
    // The aggregated metric only includes warm instances: they carry all the load.
    const serving = Math.max(group.inService, 1);
    const datapoint = load / serving;
    this.#above = datapoint > targetValue ? this.#above + 1 : 0;
    this.#below = datapoint < targetValue * scaleInThreshold ? this.#below + 1 : 0;
    const needed = Math.ceil((datapoint * serving) / targetValue - 1e-9);
    if (this.#above >= scaleOutDatapoints) {
      const desired = Math.min(group.max, Math.max(group.min, needed));
      if (desired > group.desired) {
        this.#fleet.setGroupCapacity(groupName, { desired });
        return 'scale-out';
      }
    } else if (this.#below >= scaleInDatapoints && group.warming === 0) {
      // ceil(load / target) is the least capacity that keeps the metric at or under the target.
      const desired = Math.max(group.min, needed);
      if (desired < group.desired) {
        this.#fleet.setGroupCapacity(groupName, { desired });
        return 'scale-in';
      }
    }
    return 'hold';
  }
}

export interface StaticScheduleOptions {
  groupName: string;
  schedule: ReadonlyArray<{ from: string; capacity: number }>;
  /** Announced events, visible from their observedAt like any notice. */
  drivers: readonly Driver[];
  /** Converts an announced multiplier into capacity the way the policy's business rule would. */
  policy: Pick<Policy, 'rules'> & { bounds: Pick<Policy['bounds'], 'min' | 'max'> };
  warmupSeconds: number;
}

/** Capacity the schedule (plus the scheduled actions for announced events known by `t`) holds at `t`. */
export function staticScheduleCapacity(options: Omit<StaticScheduleOptions, 'groupName'>, t: number): number {
  const { schedule, drivers, policy, warmupSeconds } = options;
  let capacity = scheduledCapacity(schedule, t + warmupSeconds);
  for (const driver of drivers) {
    if (driver.kind !== 'business' || driver.signal.type !== 'demand' || driver.observedAt > t) continue;
    const signal = driver.signal;
    const rule = policy.rules.find((r) => r.kind === 'business' && r.driver === driver.name);
    const lead = Math.max(
      signal.leadTimeSeconds ?? 0,
      rule?.kind === 'business' ? leadTimeOf(rule.leadTimeSeconds, undefined).seconds : 0,
    );
    if (t < signal.windowStart - lead || t >= signal.windowEnd) continue;
    const baseline = rule?.kind === 'business' ? (rule.baseline ?? policy.bounds.min) : policy.bounds.min;
    const planned =
      'absolute' in signal.demand
        ? Math.ceil(signal.demand.absolute - 1e-9)
        : Math.ceil(baseline * signal.demand.multiplier - 1e-9);
    capacity = Math.max(capacity, planned);
  }
  return Math.min(policy.bounds.max, Math.max(policy.bounds.min, capacity));
}

export class StaticSchedule {
  readonly #fleet: SimulatedFleet;
  readonly #options: StaticScheduleOptions;

  constructor(fleet: SimulatedFleet, options: StaticScheduleOptions) {
    this.#fleet = fleet;
    this.#options = options;
  }

  evaluate(t: number): 'scale-out' | 'scale-in' | 'hold' {
    const group = this.#fleet.groupStatus(this.#options.groupName);
    const desired = staticScheduleCapacity(this.#options, t);
    if (desired === group.desired) return 'hold';
    this.#fleet.setGroupCapacity(this.#options.groupName, { desired });
    return desired > group.desired ? 'scale-out' : 'scale-in';
  }
}
