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
import { decide, type DecisionInputs } from '../domain/engine';
import { sameAllocation } from '../domain/allocation';
import type { Allocation, Decision, Driver, Target, TargetKind } from '../domain/model';
import {
  ConcurrentDecisionError,
  classifyAwsError,
  EXECUTOR_ERROR_CODES,
  isExecutorError,
  type AllocationExecutor,
  type ApplyResult,
  type DecisionOutcome,
  type DecisionRecord,
  type DecisionStatus,
  type DecisionStore,
  type DriverStore,
  type Following,
  type MetricHistoryPort,
  type PermanentFailure,
  type PlanClaim,
  type StoredTargetState,
} from '../ports';
import type { DecisionEventSink } from './decision-events';
import { followThrough } from './follow-through';
import { emitTargetDecision, emitTargetGauges, targetGauges } from './target-metrics';

/**
 * The pending grace: how long a plan may stay unconfirmed before a repair may take it over when its claim
 * carries no lease of its own — the invocation that recorded it knew no deadline, or the plan was recorded
 * before claims existed. It must exceed the longest invocation of any function that reconciles; deployed,
 * the construct passes it (`PENDING_GRACE_SECONDS`, derived from the functions' timeouts). This default is
 * for code that runs the reconcile without a Lambda deadline (local demo, tests): three minutes is longer
 * than any of their invocations and than the executors' whole retry budget (~80 s worst case).
 */
export const DEFAULT_PENDING_GRACE_SECONDS = 180;

/**
 * Added to an invocation's remaining time to form its claim's lease. A request sent just before the deadline
 * can still be processed by AWS after it (the executors' requests time out after 5 s), and the clocks of two
 * Lambda hosts differ by far less than a second; 10 s covers both, so a repair never observes a resource
 * while the previous owner's last write may still land.
 */
export const CLAIM_LEASE_MARGIN_SECONDS = 10;

/**
 * A lost race is retried with a fresh read a few times: the winner has usually just recorded a plan (we then
 * stand down as in-flight) or a no-op hold (we decide again on top of it). More attempts only add load.
 */
const MAX_DECIDE_ATTEMPTS = 3;

/**
 * A plan that failed with a permanent error (AccessDenied, desired above the group's MaxSize, a missing
 * function) fails the same way until a person changes something. Re-planning it every tick would call AWS
 * and write a failed record each minute; the same plan is retried at most this often instead, whatever was
 * recorded in between. Fifteen minutes bounds how long a fix waits to take effect; any different plan goes
 * ahead at once.
 */
export const PERMANENT_FAILURE_RETRY_SECONDS = 900;

export type ReconcileTrigger = 'driver' | 'tick';

/** This invocation as the owner of plan claims. */
export interface InvocationClaim {
  /** Unique per invocation (Lambda request id plus a random part: Lambda reuses the id on its own retries). */
  owner: string;
  /** Seconds this invocation may still run plus CLAIM_LEASE_MARGIN_SECONDS; undefined without a deadline. */
  leaseSeconds: () => number | undefined;
}

export interface ReconcileDeps {
  drivers: DriverStore;
  decisions: DecisionStore;
  executors: Readonly<Record<TargetKind, AllocationExecutor>>;
  /** Epoch seconds. */
  clock: () => number;
  logger: Logger;
  metrics: Metrics;
  pendingGraceSeconds?: number;
  claim: InvocationClaim;
  /** Recent history of the target's metrics (stabilization, forecasts); decisions work without it. */
  metricHistory?: MetricHistoryPort;
  /** Targets that get per-target metrics (contracts perTargetTelemetryIds); absent: none. */
  perTargetTelemetry?: ReadonlySet<string>;
  /** Collects the invocation's decision events (functions/app/decision-events.ts); absent: none published. */
  decisionEvents?: DecisionEventSink;
}

export type { DecisionEventSink } from './decision-events';

export interface ReconcileOptions {
  /** `performance.now()` when the triggering event arrived: DecisionLatencyMs is measured from it. */
  receivedAtMs?: number;
}

/**
 * How a repair settled a plan left unconfirmed: `applied` (found in place), `superseded` (not in place; a
 * fresh decision follows), `orphaned` (its record was gone or already settled; the pending mark was cleared).
 */
export type RepairOutcome = 'applied' | 'superseded' | 'orphaned';

interface Repaired {
  /** The decision id of the repaired plan. */
  repaired?: string;
  repair?: RepairOutcome;
}

export type ReconcileResult =
  | ({ targetId: string; outcome: 'unchanged'; summary: string } & Repaired)
  | ({ targetId: string; outcome: 'recorded'; decisionId: string; status: DecisionStatus; summary: string } & Repaired)
  /** Another invocation holds the claim on the target's unconfirmed plan (applying or repairing it). */
  | { targetId: string; outcome: 'in-flight'; pendingDecisionId: string; heldBy?: string }
  /** This invocation's claim on a plan was taken over before it could settle the plan; it marked nothing. */
  | { targetId: string; outcome: 'claim-lost'; decisionId: string }
  | { targetId: string; outcome: 'conflict' };

type Log = Record<string, unknown>;

export async function reconcileTarget(
  deps: ReconcileDeps,
  target: Target,
  now: number,
  trigger: ReconcileTrigger,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const log = { targetId: target.id, trigger };
  let repaired: Repaired = {};
  // What the follow-through saw serving (TargetServing); only a followed plan is observed, so only then.
  let serving: number | undefined;
  for (let attempt = 1; attempt <= MAX_DECIDE_ATTEMPTS; attempt++) {
    let state = await deps.decisions.getState(target.id);
    if (state?.pending) {
      const settled = await settlePending(deps, target, state.pending, log);
      if ('outcome' in settled) return settled;
      repaired = settled;
      state = await deps.decisions.getState(target.id);
      // Another invocation planned on the freshly settled state first: it holds that plan now.
      if (state?.pending)
        return standDown(deps, target.id, state.pending, log, 'another invocation planned right after the repair');
    }

    // Once per reconcile: an applied plan is followed until it serves (or degrades) before deciding again.
    if (attempt === 1) {
      const followed = await followThrough(deps, target, state, log);
      if ('state' in followed) {
        state = followed.state;
        // The verdict is a change of the plan's status like any other: the per-target decisions count it.
        if (deps.perTargetTelemetry?.has(target.id)) emitTargetDecision(deps.metrics, target.id, followed.result);
      }
      serving = followed.serving;
    }
    const current = await observe(deps, target, state);
    const drivers = await deps.drivers.live(target.id, now);
    const inputs = {
      ...(await readMetricHistory(deps, target, now, log)),
      ...(state?.timeToServe ? { timeToServe: state.timeToServe } : {}),
    };
    const decision = decide(
      target,
      drivers,
      { targetId: target.id, version: 0, ...state, ...(current ? { current } : {}) },
      now,
      inputs,
    );
    // Once per reconcile, not per lost race: the gauges describe the target, not the attempt.
    if (attempt === 1) {
      emitDecisionGauges(deps, decision, drivers, now);
      if (deps.perTargetTelemetry?.has(target.id))
        emitTargetGauges(deps.metrics, target.id, targetGauges(decision, serving));
    }

    // Write only when something changes: a steady hold (or the same shadow verdict) is not rewritten every tick.
    if (!decision.apply && decision.summary === state?.lastSummary) {
      deps.logger.debug('decision unchanged; nothing recorded', { ...log, summary: decision.summary });
      return { targetId: target.id, outcome: 'unchanged', summary: decision.summary, ...repaired };
    }

    if (decision.apply && backingOff(deps, state, decision, now, log))
      return { targetId: target.id, outcome: 'unchanged', summary: decision.summary, ...repaired };

    const status = decision.apply ? 'planned' : decision.mode === 'shadow' ? 'shadow' : 'skipped';
    let record: DecisionRecord;
    try {
      record = await deps.decisions.record(
        decision,
        state?.version,
        status,
        status === 'planned' ? newClaim(deps) : undefined,
      );
    } catch (error) {
      if (!(error instanceof ConcurrentDecisionError)) throw error;
      deps.metrics.addMetric(METRIC.decisionConflicts, MetricUnit.Count, 1);
      deps.logger.info('another decider recorded first; re-reading the target', {
        ...log,
        attempt,
        expectedVersion: state?.version,
      });
      continue;
    }
    deps.metrics.addMetric(METRIC.decisionsRecorded, MetricUnit.Count, 1);
    deps.logger.info('decision recorded', {
      ...log,
      decisionId: record.decisionId,
      status,
      summary: record.summary,
      reasons: record.reasons,
      mode: record.mode,
    });

    if (status !== 'planned') {
      recorded(deps, target.id, record, status);
      return {
        targetId: target.id,
        outcome: 'recorded',
        decisionId: record.decisionId,
        status,
        summary: record.summary,
        ...repaired,
      };
    }
    const settled = await applyPlanned(deps, target, record, log, state?.following);
    if (settled === 'claim-lost') return { targetId: target.id, outcome: 'claim-lost', decisionId: record.decisionId };
    const finalStatus = settled.status;
    recorded(deps, target.id, settled.outcome ? { ...record, outcome: settled.outcome } : record, finalStatus);
    if (options.receivedAtMs !== undefined) {
      deps.metrics.addMetric(
        METRIC.decisionLatency,
        MetricUnit.Milliseconds,
        Math.max(0, performance.now() - options.receivedAtMs),
      );
    }
    return {
      targetId: target.id,
      outcome: 'recorded',
      decisionId: record.decisionId,
      status: finalStatus,
      summary: record.summary,
      ...repaired,
    };
  }
  deps.logger.warn('gave up deciding after repeated races; the next tick decides again', {
    ...log,
    attempts: MAX_DECIDE_ATTEMPTS,
  });
  return { targetId: target.id, outcome: 'conflict' };
}

/** Counts the decision on the target's metrics and hands it to the invocation's decision events. */
function recorded(deps: ReconcileDeps, targetId: string, record: DecisionRecord, status: DecisionStatus): void {
  if (deps.perTargetTelemetry?.has(targetId)) emitTargetDecision(deps.metrics, targetId, status);
  deps.decisionEvents?.add(record, status);
}

/**
 * A claim for this invocation, held until its own deadline (plus margin): however long the function's timeout
 * is, nobody takes a plan over while its owner can still be running. Without a known deadline, the grace.
 */
function newClaim(deps: ReconcileDeps): PlanClaim {
  return { owner: deps.claim.owner, leaseUntil: deps.clock() + (deps.claim.leaseSeconds() ?? pendingGrace(deps)) };
}

function pendingGrace(deps: ReconcileDeps): number {
  return deps.pendingGraceSeconds ?? DEFAULT_PENDING_GRACE_SECONDS;
}

type Pending = NonNullable<StoredTargetState['pending']>;

/**
 * A plan is pending on the target. While its claim's lease runs, its owner may still be applying it: stand
 * down. Once the lease is over the owner is gone; exactly one invocation takes the claim over (a conditional
 * write) and repairs the plan; every other one stands down.
 */
async function settlePending(
  deps: ReconcileDeps,
  target: Target,
  pending: Pending,
  log: Log,
): Promise<ReconcileResult | Repaired> {
  const leaseUntil = pending.leaseUntil ?? pending.at + pendingGrace(deps);
  if (pending.owner !== deps.claim.owner && deps.clock() < leaseUntil)
    return standDown(deps, target.id, pending, log, 'another invocation holds the plan and may still be applying it');
  if (!(await deps.decisions.claimPending(target.id, pending, newClaim(deps)))) {
    const now = await deps.decisions.getState(target.id);
    return standDown(deps, target.id, now?.pending ?? pending, log, 'another invocation claimed the repair first');
  }
  const repair = await repairPending(deps, target, pending, log);
  if (repair === 'unknown')
    return {
      targetId: target.id,
      outcome: 'in-flight',
      pendingDecisionId: pending.decisionId,
      heldBy: deps.claim.owner,
    };
  if (repair === 'claim-lost') return { targetId: target.id, outcome: 'claim-lost', decisionId: pending.decisionId };
  return { repaired: pending.decisionId, repair };
}

function standDown(deps: ReconcileDeps, targetId: string, pending: Pending, log: Log, why: string): ReconcileResult {
  deps.metrics.addMetric(METRIC.targetsInFlight, MetricUnit.Count, 1);
  deps.logger.info(`${why}; leaving the target alone`, {
    ...log,
    pendingDecisionId: pending.decisionId,
    heldBy: pending.owner ?? null,
    leaseUntil: pending.leaseUntil ?? null,
  });
  return {
    targetId,
    outcome: 'in-flight',
    pendingDecisionId: pending.decisionId,
    ...(pending.owner ? { heldBy: pending.owner } : {}),
  };
}

/** The resource as it is (the engine's `current`); the last applied allocation when AWS cannot be read right now. */
async function observe(
  deps: ReconcileDeps,
  target: Target,
  state: StoredTargetState | undefined,
): Promise<Allocation | undefined> {
  try {
    return (await deps.executors[target.resource.kind].observe(target)) ?? state?.current;
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
async function readMetricHistory(
  deps: ReconcileDeps,
  target: Target,
  now: number,
  log: Record<string, unknown>,
): Promise<DecisionInputs | undefined> {
  if (!deps.metricHistory) return undefined;
  const { histories, failures } = await deps.metricHistory.forTarget(target, now);
  for (const failure of failures)
    deps.logger.warn('metric history unavailable; deciding from snapshots alone', { ...log, ...failure });
  return { history: histories };
}

/**
 * Applies a recorded plan action by action (action id `${decisionId}#${i}`) and marks it, as the owner of its
 * claim. Executors are idempotent (they read the resource first and skip a write that is already in place).
 *
 * A retryable failure does not say whether the last write landed: a timeout can hide a write AWS applied.
 * Marking such a plan `failed` would be wrong twice over — the audit trail would deny a change that is in
 * place, and the engine, which reads `lastScaleUpAt`/`lastScaleDownAt` to know an alarm step has been taken,
 * would take the step again. So the resource is read once more: the plan is `applied` if its allocation is in
 * place, `failed` if it is not, and left `planned` (the repair settles it once this invocation's lease is
 * over) if the resource cannot be read either.
 */
async function applyPlanned(
  deps: ReconcileDeps,
  target: Target,
  record: DecisionRecord,
  log: Log,
  following?: Following,
): Promise<{ status: 'applied' | 'failed' | 'planned'; outcome?: DecisionOutcome } | 'claim-lost'> {
  // Executors check the mode of the target they are given: pass the effective mode the plan was made in
  // (an operator's override may differ from the configured one). Only enforce plans get this far.
  const enforced: Target = { ...target, mode: record.mode };
  const executor = deps.executors[target.resource.kind];
  const results: ApplyResult[] = [];
  let outcome: DecisionOutcome;
  let status: 'applied' | 'failed' = 'applied';
  try {
    for (const [index, action] of record.actions.entries()) {
      const result = await executor.apply(enforced, action, `${record.decisionId}#${index}`);
      results.push(result);
      deps.metrics.addMetric(
        result.status === 'applied' ? METRIC.actionsApplied : METRIC.actionsUnchanged,
        MetricUnit.Count,
        1,
      );
      if (result.status === 'applied') deps.metrics.addMetric(METRIC.allocationChanges, MetricUnit.Count, 1);
    }
    const changeIds = results.flatMap((r) => r.changeIds ?? []);
    outcome = {
      at: deps.clock(),
      detail: results.map((r) => r.detail).join('; ') || 'nothing to apply',
      // Recorded with `applied` (decision and state.following): a later reconcile, in another invocation if
      // this one crashes right after, follows them to INSYNC.
      ...(changeIds.length ? { changeIds } : {}),
    };
  } catch (error) {
    const failed = describeError(error);
    const done = results.map((r) => r.detail);
    if (isOutOfRetryBudget(error)) deps.metrics.addMetric(METRIC.retryBudgetExhausted, MetricUnit.Count, 1);
    // An action known not to have landed (refused or never sent) needs no re-read: under throttling that read
    // fails too, and the plan would wait out the whole grace period instead of being decided again next tick.
    const knownNotApplied = isExecutorError(error) && error.notApplied;
    const settled =
      failed.retryable && !knownNotApplied ? await settleUncertainApply(deps, enforced, record) : 'not-in-place';
    if (settled === 'unknown') {
      deps.logger.warn(
        'applying the decision failed and the resource cannot be read to tell whether it landed; left planned for the repair',
        {
          ...log,
          decisionId: record.decisionId,
          summary: record.summary,
          error,
        },
      );
      return { status: 'planned' };
    }
    if (settled === 'in-place') {
      deps.metrics.addMetric(METRIC.actionsApplied, MetricUnit.Count, 1);
      deps.metrics.addMetric(METRIC.allocationChanges, MetricUnit.Count, 1);
      outcome = {
        at: deps.clock(),
        detail: [...done, `action #${results.length} in place although its last call failed: ${failed.message}`].join(
          '; ',
        ),
      };
    } else {
      status = 'failed';
      deps.metrics.addMetric(METRIC.actionsFailed, MetricUnit.Count, 1);
      outcome = {
        at: deps.clock(),
        detail: [...done, `action #${results.length} failed: ${failed.message}`].join('; '),
        error: failed,
      };
      deps.logger.error('applying the decision failed', {
        ...log,
        decisionId: record.decisionId,
        summary: record.summary,
        error,
      });
    }
  }
  if ((await deps.decisions.markOutcome(record, status, outcome, deps.claim.owner)) === 'claim-lost')
    return claimLost(deps, record, status, log);
  if (status === 'applied') {
    deps.logger.info('decision applied', {
      ...log,
      decisionId: record.decisionId,
      summary: record.summary,
      detail: outcome.detail,
    });
    await publishReplaced(deps, record, following, log);
  }
  return { status, outcome };
}

/**
 * The plan this apply replaced before it served (markOutcome ended it `replaced` in the same transaction):
 * one read, only when the state was following another plan, so its end is published like settled/degraded.
 */
async function publishReplaced(
  deps: ReconcileDeps,
  record: DecisionRecord,
  following: Following | undefined,
  log: Log,
): Promise<void> {
  if (!following || following.decisionId === record.decisionId) return;
  const earlier = await deps.decisions.get(following.decisionId);
  if (earlier?.status !== 'replaced' || earlier.replacedBy !== record.decisionId) return;
  deps.logger.info('the applied plan was replaced before it served', {
    ...log,
    decisionId: earlier.decisionId,
    replacedBy: record.decisionId,
  });
  if (deps.perTargetTelemetry?.has(record.targetId)) emitTargetDecision(deps.metrics, record.targetId, 'replaced');
  deps.decisionEvents?.add(earlier, 'replaced');
}

function claimLost(
  deps: ReconcileDeps,
  record: Pick<DecisionRecord, 'decisionId' | 'summary'>,
  status: string,
  log: Log,
): 'claim-lost' {
  deps.metrics.addMetric(METRIC.claimsLost, MetricUnit.Count, 1);
  deps.logger.error('the plan was taken over by another invocation before this one could settle it; nothing marked', {
    ...log,
    decisionId: record.decisionId,
    summary: record.summary,
    wouldHaveMarked: status,
  });
  return 'claim-lost';
}

/** Whether this very plan (target, desired allocation) failed permanently within the back-off. */
function backingOff(
  deps: ReconcileDeps,
  state: StoredTargetState | undefined,
  decision: Decision,
  now: number,
  log: Log,
): boolean {
  const failure: PermanentFailure | undefined = state?.lastPermanentFailure;
  if (
    !failure ||
    !sameAllocation(failure.desired, decision.desired) ||
    now - failure.at >= PERMANENT_FAILURE_RETRY_SECONDS
  )
    return false;
  deps.logger.info('the same plan failed permanently a moment ago; waiting before trying it again', {
    ...log,
    failedDecisionId: failure.decisionId,
    error: failure.error,
    retryAt: failure.at + PERMANENT_FAILURE_RETRY_SECONDS,
  });
  return true;
}

function isOutOfRetryBudget(error: unknown): boolean {
  return (
    isExecutorError(error) &&
    (error.code === EXECUTOR_ERROR_CODES.retryBudgetExhausted || error.code === EXECUTOR_ERROR_CODES.deadlineExceeded)
  );
}

/** Whether a plan whose apply ended in a retryable error is in place after all (see applyPlanned). */
async function settleUncertainApply(
  deps: ReconcileDeps,
  target: Target,
  record: DecisionRecord,
): Promise<'in-place' | 'not-in-place' | 'unknown'> {
  try {
    const observed = await deps.executors[target.resource.kind].observe(target);
    return observed !== undefined && sameAllocation(observed, record.desired) ? 'in-place' : 'not-in-place';
  } catch {
    return 'unknown';
  }
}

/**
 * Settles a plan whose owner died between record and mark, holding its claim. It observes first and never
 * re-applies the plan: the plan in place → `applied` (whatever the target's mode is now: the write landed);
 * not in place (it never landed, or the resource moved since) → `superseded`, and the caller decides afresh
 * through the engine, so precedence and stabilization apply to the resource as it is. A pending plan whose
 * record is gone or already settled is cleared (`orphaned`), visibly, instead of blocking the target.
 */
async function repairPending(
  deps: ReconcileDeps,
  target: Target,
  pending: Pending,
  log: Log,
): Promise<RepairOutcome | 'unknown' | 'claim-lost'> {
  const owner = deps.claim.owner;
  const repairLog = {
    ...log,
    repair: true,
    decisionId: pending.decisionId,
    pendingSince: pending.at,
    previousOwner: pending.owner ?? null,
  };
  deps.metrics.addMetric(METRIC.pendingRepaired, MetricUnit.Count, 1);
  const record = await deps.decisions.get(pending.decisionId);
  if (record?.status !== 'planned') {
    deps.metrics.addMetric(METRIC.pendingOrphaned, MetricUnit.Count, 1);
    deps.logger.error('the unconfirmed plan cannot be settled (its record is gone or no longer planned); clearing it', {
      ...repairLog,
      recordStatus: record?.status ?? 'missing',
    });
    const released = await deps.decisions.releasePending(target.id, pending.decisionId, owner, deps.clock());
    return released === 'marked'
      ? 'orphaned'
      : claimLost(deps, { decisionId: pending.decisionId, summary: '' }, 'orphaned', repairLog);
  }
  let observed: Allocation | undefined;
  try {
    observed = await deps.executors[target.resource.kind].observe(target);
  } catch (error) {
    if (!isRetryable(error)) throw error;
    deps.logger.warn('cannot observe the resource to settle an unconfirmed plan; a later reconcile tries again', {
      ...repairLog,
      error: describeError(error),
    });
    return 'unknown';
  }
  const inPlace = observed !== undefined && sameAllocation(observed, record.desired);
  const status = inPlace ? 'applied' : 'superseded';
  const detail = repairDetail(record, observed);
  const marked = await deps.decisions.markOutcome(
    record,
    status,
    { at: deps.clock(), detail, ...(observed ? { observed } : {}) },
    owner,
  );
  if (marked === 'claim-lost') return claimLost(deps, record, status, repairLog);
  deps.logger.warn(`repaired a plan left unconfirmed by a crashed invocation: ${status}`, {
    ...repairLog,
    summary: record.summary,
    detail,
  });
  return status;
}

function repairDetail(record: DecisionRecord, observed: Allocation | undefined): string {
  if (observed === undefined) return 'not in place when repaired: the resource was not found; decided afresh';
  if (sameAllocation(observed, record.desired))
    return `in place when repaired (${formatAllocation(observed)}); its apply was not confirmed`;
  if (record.current && sameAllocation(observed, record.current))
    return `not in place when repaired: still at ${formatAllocation(observed)}, it never landed; decided afresh`;
  return `not in place when repaired: the resource had moved to ${formatAllocation(observed)}; decided afresh`;
}

function formatAllocation(allocation: Allocation): string {
  if (allocation.kind === 'capacity') return `desired ${allocation.desired}, floor ${allocation.floor}`;
  return Object.entries(allocation.weights)
    .map(([id, w]) => `${id}=${w}`)
    .join(' ');
}

function emitDecisionGauges(deps: ReconcileDeps, decision: Decision, drivers: readonly Driver[], now: number): void {
  let newestTelemetry: number | undefined;
  for (const d of drivers)
    if (
      (d.kind === 'alarm' || d.kind === 'metric') &&
      (newestTelemetry === undefined || d.observedAt > newestTelemetry)
    )
      newestTelemetry = d.observedAt;
  if (newestTelemetry !== undefined)
    deps.metrics.addMetric(METRIC.driverAge, MetricUnit.Seconds, Math.max(0, now - newestTelemetry));
  if (decision.reasons.includes('fallback-stale-drivers'))
    deps.metrics.addMetric(METRIC.staleTargets, MetricUnit.Count, 1);
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
