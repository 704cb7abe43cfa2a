/**
 * Outcome follow-through: `applied` only means AWS accepted the call. A later reconcile observes the resource
 * (AllocationExecutor.observeServing) until the plan serves — `settled`, with its time to serve, kept per
 * target for `leadTimeSeconds: auto` — or will not — `degraded`, with the cause. Only a target whose state
 * carries `following` costs an AWS call here; a settled or degraded plan is never observed again.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { formatDuration } from '../domain/decision-common';
import type { Target } from '../domain/model';
import { type TargetKind, targetKind } from '../domain/target-kinds';
import { addTimeToServe } from '../domain/warmup';
import type { DecisionEventSink } from './decision-events';
import type {
  AllocationExecutor,
  DecisionStore,
  Following,
  ServingObservation,
  ServingOutcome,
  ServingStatus,
  StoredTargetState,
} from '../ports';

/**
 * A plan still not serving this long after its apply is `degraded`. Thirty minutes is three times the
 * 600 s lead time Drivetrain assumes for an EC2 launch plus its default warmup, six times the "few minutes"
 * provisioned concurrency takes, and far beyond Route 53's propagation (INSYNC within about a minute): a
 * plan this late is stuck (a launch retried in a loop, an unhealthy instance replaced again and again).
 */
export const SERVING_TIMEOUT_SECONDS = 1800;

export interface FollowThroughDeps {
  decisions: DecisionStore;
  executors: Readonly<Record<TargetKind, AllocationExecutor>>;
  clock: () => number;
  logger: Logger;
  /** The settled/degraded verdict is published like any other change of a decision's status. */
  decisionEvents?: Pick<DecisionEventSink, 'add'>;
}

/** `serving`: the capacity the observation saw serving (the TargetServing gauge), when the kind counts it. */
export type FollowThroughResult = (
  | { result: 'none' | 'in-progress' | 'unknown' | 'lost' }
  | { result: ServingStatus; state: StoredTargetState }
) & { serving?: number };

/** Follows the target's applied plan one step; returns the state as it is after any write. */
export async function followThrough(
  deps: FollowThroughDeps,
  target: Target,
  state: StoredTargetState | undefined,
  log: Record<string, unknown>,
): Promise<FollowThroughResult> {
  const following = state?.following;
  if (!state || !following) return { result: 'none' };
  const followLog = { ...log, decisionId: following.decisionId };
  let seen: ServingObservation | { state: 'unreadable'; error: string };
  try {
    seen = await deps.executors[targetKind(target)].observeServing(target, following);
  } catch (error) {
    // Unreadable now (throttled, denied): try again next reconcile; past the timeout it degrades with this error.
    seen = { state: 'unreadable', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    deps.logger.warn('cannot observe whether the applied plan serves; a later reconcile tries again', {
      ...followLog,
      error: seen.error,
    });
  }
  const now = deps.clock();
  const counted = 'serving' in seen && seen.serving !== undefined ? { serving: seen.serving } : {};
  const verdict = judge(following, seen, now);
  if (!verdict) return { result: seen.state === 'unreadable' ? 'unknown' : 'in-progress', ...counted };
  const samples =
    verdict.status === 'settled' && following.scaleOut && verdict.serving.timeToServeSeconds !== undefined
      ? addTimeToServe(state.timeToServe, verdict.serving.timeToServeSeconds)
      : undefined;
  const marked = await deps.decisions.markServing(target.id, following, verdict.status, verdict.serving, samples);
  if (marked === 'claim-lost') return { result: 'lost', ...counted };
  await publishVerdict(deps, following.decisionId, verdict.status, verdict.serving);
  const log2 = { ...followLog, status: verdict.status, ...verdict.serving };
  if (verdict.status === 'settled') deps.logger.info('applied plan serves', log2);
  else deps.logger.warn('applied plan degraded: it does not serve as planned', log2);
  const { following: _done, ...rest } = state;
  return { result: verdict.status, state: samples ? { ...rest, timeToServe: samples } : rest, ...counted };
}

/** One read per verdict (once per applied plan), so the event carries the whole decision like every other. */
async function publishVerdict(
  deps: FollowThroughDeps,
  decisionId: string,
  status: ServingStatus,
  serving: ServingOutcome,
): Promise<void> {
  if (!deps.decisionEvents) return;
  const record = await deps.decisions.get(decisionId);
  if (record) deps.decisionEvents.add({ ...record, serving }, status);
}

/** Settled, degraded, or nothing to record yet (in progress within the timeout). */
export function judge(
  following: Following,
  seen: ServingObservation | { state: 'unreadable'; error: string },
  now: number,
): { status: ServingStatus; serving: ServingOutcome } | undefined {
  const elapsed = Math.max(0, now - following.appliedAt);
  if (seen.state === 'serving')
    return {
      status: 'settled',
      serving: {
        at: now,
        detail: `serving after ${formatDuration(elapsed)}: ${seen.detail}`,
        ...(seen.timeToServeUnknown ? {} : { timeToServeSeconds: elapsed }),
      },
    };
  if (seen.state === 'failed')
    return { status: 'degraded', serving: { at: now, detail: `degraded: ${seen.cause}`, cause: seen.cause } };
  if (elapsed < SERVING_TIMEOUT_SECONDS) return undefined;
  const where = seen.state === 'unreadable' ? `cannot be observed: ${seen.error}` : seen.detail;
  const cause = `not serving ${formatDuration(elapsed)} after the apply (limit ${formatDuration(SERVING_TIMEOUT_SECONDS)}): ${where}`;
  return { status: 'degraded', serving: { at: now, detail: `degraded: ${cause}`, cause } };
}
