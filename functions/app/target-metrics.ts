/**
 * Per-target gauges (TARGET_METRIC, dimension TARGET_DIMENSION): demand vs desired vs current allocation,
 * staleness, and a count of recorded decisions by status, so the dashboard can show each target the way the
 * demo report does.
 *
 * The gauges are emitted on every reconcile, also when nothing changed: a gauge graphs as a line only if it
 * has a datapoint every period, and CloudWatch bills per metric per month, not per datapoint. The price of
 * one more datapoint is one EMF log line (~250 bytes), ≈4 MB per target per month at a one-minute tick.
 */
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { STATUS_DIMENSION, TARGET_DIMENSION, TARGET_METRIC } from '../contracts';
import type { Allocation, Decision } from '../domain/model';
import type { DecisionStatus } from '../ports';

export interface TargetGauges {
  demand?: number;
  desired?: number;
  current?: number;
  serving?: number;
  stale: boolean;
}

/**
 * The gauges a decision implies. Allocation gauges exist for capacity targets only (weights are not a number).
 * `serving` is what the follow-through counted this reconcile (InService instances, allocated provisioned
 * concurrency); it is only known while a plan is followed, so TargetServing has datapoints during a change
 * and none while the target holds still (the dashboard draws them as points).
 */
export function targetGauges(decision: Decision, serving?: number): TargetGauges {
  const capacity = (a: Allocation | undefined) => (a?.kind === 'capacity' ? a.desired : undefined);
  const winner =
    decision.winner === undefined ? undefined : decision.considered.find((c) => c.name === decision.winner);
  const gauges: TargetGauges = { stale: decision.reasons.includes('fallback-stale-drivers') };
  const desired = capacity(decision.desired);
  const current = capacity(decision.current);
  if (desired !== undefined) gauges.desired = desired;
  if (current !== undefined) gauges.current = current;
  if (serving !== undefined && desired !== undefined) gauges.serving = serving;
  if (desired !== undefined && winner?.demand !== undefined) gauges.demand = winner.demand;
  return gauges;
}

/**
 * One single-metric EMF line per gauge, each with the deployment's default dimensions plus the target: a
 * single-metric instance is how Powertools gives one metric its own dimension set without touching the
 * invocation's shared metrics.
 */
export function emitTargetGauges(metrics: Metrics, targetId: string, gauges: TargetGauges): void {
  const values: Array<[string, number | undefined]> = [
    [TARGET_METRIC.demand, gauges.demand],
    [TARGET_METRIC.desiredAllocation, gauges.desired],
    [TARGET_METRIC.currentAllocation, gauges.current],
    [TARGET_METRIC.serving, gauges.serving],
    [TARGET_METRIC.staleDrivers, gauges.stale ? 1 : 0],
  ];
  for (const [name, value] of values) {
    if (value === undefined) continue;
    metrics.singleMetric().addDimension(TARGET_DIMENSION, targetId).addMetric(name, MetricUnit.Count, value);
  }
}

export function emitTargetDecision(metrics: Metrics, targetId: string, status: DecisionStatus): void {
  metrics
    .singleMetric()
    .addDimensions({ [TARGET_DIMENSION]: targetId, [STATUS_DIMENSION]: status })
    .addMetric(TARGET_METRIC.decisions, MetricUnit.Count, 1);
}
