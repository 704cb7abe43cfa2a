/**
 * The reconcile service: for one target, load → observe → decide → record → act → mark. Everything it
 * touches is a port, so the same code runs in Lambda, in the local demo and in the tests.
 *
 * Safety rests on the target state's version: a decision is recorded only if the state is still at the
 * version it was decided from, and only a recorded `planned` decision is ever applied. Two invocations
 * racing on one target therefore produce one action; the loser re-reads and stands down.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { METRIC } from '../contracts';
import { decide, effectiveMode, type DecisionInputs } from '../domain/engine';
import type { Allocation, Decision, Driver, Target, TargetKind } from '../domain/model';
import type { AllocationExecutor, ApplyResult, DecisionOutcome, DecisionRecord, DecisionStatus, DecisionStore, DriverStore, MetricHistoryPort, StoredTargetState } from '../ports';
import { ConcurrentDecisionError } from '../adapters/dynamodb/errors';
import { classifyAwsError } from '../executors/errors';

/**
 * How old an unconfirmed plan (state.pending) must be before a reconcile repairs it instead of assuming the
 * invocation that wrote it is still applying it. It must exceed the longest an apply can legitimately take:
 * the executor retry budget (5 attempts, ≤ 3 s of backoff, each attempt up to three AWS calls capped at 5 s:
 * ~80 s worst case) and therefore also the Lambda timeout of ingest/tick (≤ 120 s). Three minutes clears both
 * with margin; repairing sooner could apply the same plan twice in parallel, later only delays the repair.
 */
export const DEFAULT_PENDING_GRACE_SECONDS = 180;

/**
 * A lost race is retried with a fresh read a few times: the winner has usually just recorded a plan (we then
 * stand down as in-flight) or a no-op hold (we decide again on top of it). More attempts only add load.
 */
const MAX_DECIDE_ATTEMPTS = 3;

/**
 * A plan that failed with a permanent error (AccessDenied, desired above the group's MaxSize, a missing
 * function) fails the same way until a person changes something. Re-planning it every tick would call AWS
 * and write a failed record each minute; the same plan is retried at most this often instead. Fifteen
 * minutes bounds how long a fix waits to take effect; any different plan goes ahead at once.
 */
export const PERMANENT_FAILURE_RETRY_SECONDS = 900;

export type ReconcileTrigger = 'driver' | 'tick';

export interface ReconcileDeps {
  drivers: DriverStore;
  decisions: DecisionStore;
  executors: Readonly<Record<TargetKind, AllocationExecutor>>;
  /** Epoch seconds. */
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
  pendingGraceSeconds?: number;
  /** Recent history of the target's metrics (stabilization, forecasts); decisions work without it. */
  metricHistory?: MetricHistoryPort;
}

export interface ReconcileOptions {
  /** `performance.now()` when the triggering event arrived: DecisionLatencyMs is measured from it. */
  receivedAtMs?: number;
}

export type ReconcileResult =
  | { targetId: string; outcome: 'unchanged'; summary: string; repaired?: string }
  | { targetId: string; outcome: 'recorded'; decisionId: string; status: DecisionStatus; summary: string; repaired?: string }
  | { targetId: string; outcome: 'in-flight'; pendingDecisionId: string }
  | { targetId: string; outcome: 'conflict' };

/** A planned decision that cannot be repaired (its record is gone or no longer planned). */
export class PendingRepairError extends Error {
  override readonly name = 'PendingRepairError';
  readonly retryable = false;
  constructor(
    readonly targetId: string,
    readonly decisionId: string,
    why: string,
  ) {
    super(`target ${targetId}: cannot repair pending decision ${decisionId}: ${why}`);
  }
}

export async function reconcileTarget(
  deps: ReconcileDeps,
  target: Target,
  now: number,
  trigger: ReconcileTrigger,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const log = { targetId: target.id, trigger };
  let repaired: string | undefined;
  for (let attempt = 1; attempt <= MAX_DECIDE_ATTEMPTS; attempt++) {
    let state = await deps.decisions.getState(target.id);
    if (state?.pending) {
      const age = now - state.pending.at;
      if (age < (deps.pendingGraceSeconds ?? DEFAULT_PENDING_GRACE_SECONDS)) {
        deps.metrics.addMetric(METRIC.targetsInFlight, MetricUnit.Count, 1);
        deps.logger.info('another invocation is applying a decision for this target; leaving it alone', { ...log, pendingDecisionId: state.pending.decisionId, pendingAgeSeconds: age });
        return { targetId: target.id, outcome: 'in-flight', pendingDecisionId: state.pending.decisionId };
      }
      repaired = await repairPending(deps, target, state, now);
      state = await deps.decisions.getState(target.id);
      // The repair could not settle it either (the resource is still unreadable): a later reconcile tries again.
      if (state?.pending?.decisionId === repaired) return { targetId: target.id, outcome: 'in-flight', pendingDecisionId: repaired };
    }

    const current = await observe(deps, target, state);
    const drivers = await deps.drivers.live(target.id, now);
    const inputs = await readMetricHistory(deps, target, now, log);
    const decision = decide(target, drivers, { targetId: target.id, version: 0, ...state, ...(current ? { current } : {}) }, now, inputs);
    // Once per reconcile, not per lost race: the gauges describe the target, not the attempt.
    if (attempt === 1) emitDecisionGauges(deps, decision, drivers, now);

    // Write only when something changes: a steady hold (or the same shadow verdict) is not rewritten every tick.
    if (!decision.apply && decision.summary === state?.lastSummary) {
      deps.logger.debug('decision unchanged; nothing recorded', { ...log, summary: decision.summary });
      return { targetId: target.id, outcome: 'unchanged', summary: decision.summary, ...(repaired ? { repaired } : {}) };
    }

    if (decision.apply) {
      const failed = await recentPermanentFailure(deps, target.id, decision, now);
      if (failed) {
        deps.logger.info('the same plan failed permanently a moment ago; waiting before trying it again', {
          ...log,
          failedDecisionId: failed.decisionId,
          error: failed.outcome?.error,
          retryAt: (failed.outcome?.at ?? now) + PERMANENT_FAILURE_RETRY_SECONDS,
        });
        return { targetId: target.id, outcome: 'unchanged', summary: decision.summary, ...(repaired ? { repaired } : {}) };
      }
    }

    const status = decision.apply ? 'planned' : decision.mode === 'shadow' ? 'shadow' : 'skipped';
    let record: DecisionRecord;
    try {
      record = await deps.decisions.record(decision, state?.version, status);
    } catch (error) {
      if (!(error instanceof ConcurrentDecisionError)) throw error;
      deps.metrics.addMetric(METRIC.decisionConflicts, MetricUnit.Count, 1);
      deps.logger.info('another decider recorded first; re-reading the target', { ...log, attempt, expectedVersion: state?.version });
      continue;
    }
    deps.metrics.addMetric(METRIC.decisionsRecorded, MetricUnit.Count, 1);
    deps.logger.info('decision recorded', { ...log, decisionId: record.decisionId, status, summary: record.summary, reasons: record.reasons, mode: record.mode });

    if (status === 'planned') {
      const finalStatus = await applyPlanned(deps, target, record, log);
      if (options.receivedAtMs !== undefined) {
        deps.metrics.addMetric(METRIC.decisionLatency, MetricUnit.Milliseconds, Math.max(0, performance.now() - options.receivedAtMs));
      }
      return { targetId: target.id, outcome: 'recorded', decisionId: record.decisionId, status: finalStatus, summary: record.summary, ...(repaired ? { repaired } : {}) };
    }
    return { targetId: target.id, outcome: 'recorded', decisionId: record.decisionId, status, summary: record.summary, ...(repaired ? { repaired } : {}) };
  }
  deps.logger.warn('gave up deciding after repeated races; the next tick decides again', { ...log, attempts: MAX_DECIDE_ATTEMPTS });
  return { targetId: target.id, outcome: 'conflict' };
}

/** The resource as it is (the engine's `current`); the last applied allocation when AWS cannot be read right now. */
async function observe(deps: ReconcileDeps, target: Target, state: StoredTargetState | undefined): Promise<Allocation | undefined> {
  try {
    return (await deps.executors[target.kind].observe(target)) ?? state?.current;
  } catch (error) {
    if (!isRetryable(error)) throw error;
    deps.logger.warn('could not observe the resource; deciding from the last applied allocation', {
      targetId: target.id,
      error: describeError(error),
      fallback: state?.current ?? null,
    });
    return state?.current;
  }
}

/** The metric history for the engine; a metric that cannot be read is decided on without (and logged). */
async function readMetricHistory(deps: ReconcileDeps, target: Target, now: number, log: Record<string, unknown>): Promise<DecisionInputs | undefined> {
  if (!deps.metricHistory) return undefined;
  const { histories, failures } = await deps.metricHistory.forTarget(target, now);
  for (const failure of failures) deps.logger.warn('metric history unavailable; deciding from snapshots alone', { ...log, ...failure });
  return { history: histories };
}

/**
 * Applies a recorded plan action by action (action id `${decisionId}#${i}`) and marks it. Executors are
 * idempotent (they read the resource first and skip a write that is already in place), so re-applying a
 * plan after a crash is safe.
 *
 * A retryable failure does not say whether the last write landed: a timeout can hide a write AWS applied.
 * Marking such a plan `failed` would be wrong twice over — the audit trail would deny a change that is in
 * place, and the engine, which reads `lastScaleUpAt`/`lastScaleDownAt` to know an alarm step has been taken,
 * would take the step again. So the resource is read once more: the plan is `applied` if its allocation is in
 * place, `failed` if it is not, and left `planned` (the crash-repair path confirms it after the grace period)
 * if the resource cannot be read either.
 */
async function applyPlanned(deps: ReconcileDeps, target: Target, record: DecisionRecord, log: Record<string, unknown>): Promise<'applied' | 'failed' | 'planned'> {
  // Executors check the mode of the target they are given: pass the effective mode the plan was made in
  // (an operator's override may differ from the configured one). Only enforce plans get this far.
  const enforced: Target = { ...target, mode: record.mode };
  const executor = deps.executors[target.kind];
  const results: ApplyResult[] = [];
  let outcome: DecisionOutcome;
  let status: 'applied' | 'failed' = 'applied';
  try {
    for (const [index, action] of record.actions.entries()) {
      const result = await executor.apply(enforced, action, `${record.decisionId}#${index}`);
      results.push(result);
      deps.metrics.addMetric(result.status === 'applied' ? METRIC.actionsApplied : METRIC.actionsUnchanged, MetricUnit.Count, 1);
      if (result.status === 'applied') deps.metrics.addMetric(METRIC.allocationChanges, MetricUnit.Count, 1);
    }
    outcome = { at: deps.clock(), detail: results.map((r) => r.detail).join('; ') || 'nothing to apply' };
  } catch (error) {
    const failed = describeError(error);
    const done = results.map((r) => r.detail);
    const settled = failed.retryable ? await settleUncertainApply(deps, enforced, record) : 'not-in-place';
    if (settled === 'unknown') {
      deps.logger.warn('applying the decision failed and the resource cannot be read to tell whether it landed; left planned for the repair', {
        ...log,
        decisionId: record.decisionId,
        summary: record.summary,
        error,
      });
      return 'planned';
    }
    if (settled === 'in-place') {
      deps.metrics.addMetric(METRIC.actionsApplied, MetricUnit.Count, 1);
      deps.metrics.addMetric(METRIC.allocationChanges, MetricUnit.Count, 1);
      outcome = { at: deps.clock(), detail: [...done, `action #${results.length} in place although its last call failed: ${failed.message}`].join('; ') };
    } else {
      status = 'failed';
      deps.metrics.addMetric(METRIC.actionsFailed, MetricUnit.Count, 1);
      outcome = { at: deps.clock(), detail: [...done, `action #${results.length} failed: ${failed.message}`].join('; '), error: failed };
      deps.logger.error('applying the decision failed', { ...log, decisionId: record.decisionId, summary: record.summary, error });
    }
  }
  await deps.decisions.markOutcome(record, status, outcome);
  if (status === 'applied') deps.logger.info('decision applied', { ...log, decisionId: record.decisionId, summary: record.summary, detail: outcome.detail });
  return status;
}

/** The newest decision, when it is this very plan failing permanently within the retry back-off. */
async function recentPermanentFailure(deps: ReconcileDeps, targetId: string, decision: Decision, now: number): Promise<DecisionRecord | undefined> {
  const [latest] = await deps.decisions.list(targetId, { limit: 1 });
  const error = latest?.outcome?.error;
  if (latest?.status !== 'failed' || !error || error.retryable) return undefined;
  if (!sameAllocation(latest.desired, decision.desired)) return undefined;
  return now - latest.outcome!.at < PERMANENT_FAILURE_RETRY_SECONDS ? latest : undefined;
}

/** Whether a plan whose apply ended in a retryable error is in place after all (see applyPlanned). */
async function settleUncertainApply(deps: ReconcileDeps, target: Target, record: DecisionRecord): Promise<'in-place' | 'not-in-place' | 'unknown'> {
  try {
    const observed = await deps.executors[target.kind].observe(target);
    return observed !== undefined && sameAllocation(observed, record.desired) ? 'in-place' : 'not-in-place';
  } catch {
    return 'unknown';
  }
}

function sameAllocation(a: Allocation, b: Allocation): boolean {
  if (a.kind === 'capacity' && b.kind === 'capacity') return a.desired === b.desired && a.floor === b.floor;
  if (a.kind !== 'weights' || b.kind !== 'weights') return false;
  const ids = Object.keys(b.weights);
  return ids.length === Object.keys(a.weights).length && ids.every((id) => a.weights[id] === b.weights[id]);
}

/**
 * A plan whose invocation died between record and mark. It is re-applied as recorded (idempotently) and
 * marked, unless the target is no longer enforced, in which case it is marked failed without any call.
 */
async function repairPending(deps: ReconcileDeps, target: Target, state: StoredTargetState, now: number): Promise<string> {
  const pending = state.pending!;
  const log = { targetId: target.id, trigger: 'repair', decisionId: pending.decisionId, pendingAgeSeconds: now - pending.at };
  const record = await deps.decisions.get(pending.decisionId);
  if (!record) throw new PendingRepairError(target.id, pending.decisionId, 'its decision record was not found');
  if (record.status !== 'planned') throw new PendingRepairError(target.id, pending.decisionId, `its decision is already ${record.status}`);
  deps.metrics.addMetric(METRIC.pendingRepaired, MetricUnit.Count, 1);
  const mode = effectiveMode(target, state);
  if (mode !== 'enforce') {
    deps.logger.warn('unconfirmed decision found but the target is no longer enforced; marking it failed without applying', { ...log, mode });
    await deps.decisions.markOutcome(record, 'failed', { at: deps.clock(), detail: `not applied: target is ${mode} since the decision was planned` });
    return record.decisionId;
  }
  deps.logger.warn('repairing a decision left unconfirmed by a crashed invocation', { ...log, summary: record.summary });
  await applyPlanned(deps, target, record, log);
  return record.decisionId;
}

function emitDecisionGauges(deps: ReconcileDeps, decision: Decision, drivers: readonly Driver[], now: number): void {
  let newestTelemetry: number | undefined;
  for (const d of drivers) if ((d.kind === 'alarm' || d.kind === 'metric') && (newestTelemetry === undefined || d.observedAt > newestTelemetry)) newestTelemetry = d.observedAt;
  if (newestTelemetry !== undefined) deps.metrics.addMetric(METRIC.driverAge, MetricUnit.Seconds, Math.max(0, now - newestTelemetry));
  if (decision.reasons.includes('fallback-stale-drivers')) deps.metrics.addMetric(METRIC.staleTargets, MetricUnit.Count, 1);
}

/**
 * Drivetrain's typed errors say themselves whether trying again can help; anything else (an AWS SDK error
 * from the DynamoDB stores, a socket error) is classified the way the executors classify AWS errors, so a
 * throttled or failing DynamoDB read is reported as retryable, not as a fault a human must fix.
 */
export function isRetryable(error: unknown): boolean {
  const own = typeof error === 'object' && error !== null ? (error as { retryable?: unknown }).retryable : undefined;
  if (typeof own === 'boolean') return own;
  return classifyAwsError(error).retryable;
}

export function describeError(error: unknown): { name: string; message: string; retryable: boolean } {
  if (error instanceof Error) return { name: error.name, message: error.message, retryable: isRetryable(error) };
  return { name: 'Error', message: String(error), retryable: false };
}
