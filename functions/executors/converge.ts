/**
 * The shape every executor's apply shares: read the resource, compare with the action, write only the
 * difference — and do all three again on each retry.
 *
 * Re-reading inside the retry is what makes a partial apply converge. A write that timed out may still have
 * landed; a throttled one did not. Either way the next attempt sees the resource as it is now and writes only
 * what is still missing, or reports that the desired state is already in place. The same holds across
 * invocations: a decision replayed after a crash finds nothing left to do and returns `unchanged`.
 */
import type { Action, Target, TargetKind, TargetResource } from '../domain/model';
import {
  EXECUTOR_ERROR_CODES,
  PermanentExecutorError,
  RetryableExecutorError,
  refusedBeforeActing,
  type ApplyResult,
} from '../ports';
import { kindTraits } from '../domain/target-kinds';
import { type RetryOptions, withRetry } from './retry';

export type Plan = { unchanged: string } | { detail: string; write: () => Promise<void> };

export async function converge<S>(
  retry: Partial<RetryOptions>,
  read: () => Promise<S>,
  plan: (current: S) => Plan,
): Promise<ApplyResult> {
  let earlierWrite: string | undefined;
  // Whether some write may have reached AWS without us learning the outcome (a timeout, a 5xx).
  let uncertainWrite = false;
  try {
    return await withRetry(async (attempt) => {
      const step = plan(await read());
      if ('unchanged' in step) {
        // Our own earlier attempt may have landed before it failed (a timeout after AWS applied it).
        if (earlierWrite !== undefined) {
          return {
            status: 'applied',
            detail: `${earlierWrite} (in place on attempt ${attempt}, after an earlier attempt's write failed or timed out)`,
          };
        }
        return { status: 'unchanged', detail: step.unchanged };
      }
      earlierWrite = step.detail;
      try {
        await step.write();
      } catch (error) {
        if (!refusedBeforeActing(error)) uncertainWrite = true;
        throw error;
      }
      return { status: 'applied', detail: attempt > 1 ? `${step.detail} (attempt ${attempt})` : step.detail };
    }, retry);
  } catch (error) {
    // Giving up on an action none of whose writes can have landed: say so, so the caller can mark the plan
    // failed at once instead of reading the resource again (which, under throttling, fails too and would
    // leave the plan pending for the whole grace period).
    if (error instanceof RetryableExecutorError && !uncertainWrite && !error.notApplied) {
      throw new RetryableExecutorError(error.message, {
        cause: error.cause,
        code: error.code,
        attempts: error.attempts,
        retryAfterMs: error.retryAfterMs,
        notApplied: true,
      });
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Guards run before any AWS call: a misrouted target or action fails loudly and touches nothing.
// ---------------------------------------------------------------------------------------------------------

export function resourceOf<K extends TargetKind>(target: Target, kind: K): Extract<TargetResource, { kind: K }> {
  if (target.resource.kind !== kind) {
    throw new PermanentExecutorError(
      `target ${target.id} is a ${target.resource.kind} target; the ${kind} executor cannot act on it`,
      {
        code: EXECUTOR_ERROR_CODES.wrongTargetKind,
      },
    );
  }
  return target.resource as Extract<TargetResource, { kind: K }>;
}

/**
 * Executors never call a mutating API for a target that is not enforcing. The caller passes the target with
 * its effective mode (`{ ...target, mode: effectiveMode(target, state) }`), so an operator's pause or
 * shadow override is honoured here too, as a second line behind `decision.apply`.
 */
export function assertEnforced(target: Target, actionId: string): void {
  if (target.mode !== 'enforce') {
    throw new PermanentExecutorError(
      `action ${actionId}: target ${target.id} is in ${target.mode} mode; executors only change resources of enforced targets`,
      {
        code: EXECUTOR_ERROR_CODES.targetNotEnforced,
      },
    );
  }
}

export function capacityAction(target: Target, action: Action, actionId: string): { desired: number; floor: number } {
  if (action.type !== 'set-capacity') {
    throw new PermanentExecutorError(
      `action ${actionId}: ${action.type} cannot apply to ${target.resource.kind} target ${target.id} (expects set-capacity)`,
      {
        code: EXECUTOR_ERROR_CODES.wrongActionType,
      },
    );
  }
  const { desired, floor } = action;
  if (!isCount(desired) || !isCount(floor) || floor > desired) {
    throw new PermanentExecutorError(
      `action ${actionId}: set-capacity needs whole numbers with 0 <= floor <= desired, got desired ${desired}, floor ${floor}`,
      {
        code: EXECUTOR_ERROR_CODES.invalidAction,
      },
    );
  }
  return { desired, floor };
}

export function weightsAction(
  target: Target,
  action: Action,
  actionId: string,
  configured: readonly string[],
): Record<string, number> {
  if (action.type !== 'set-weights') {
    throw new PermanentExecutorError(
      `action ${actionId}: ${action.type} cannot apply to ${target.resource.kind} target ${target.id} (expects set-weights)`,
      {
        code: EXECUTOR_ERROR_CODES.wrongActionType,
      },
    );
  }
  const entries = Object.entries(action.weights);
  if (entries.length === 0) {
    throw new PermanentExecutorError(`action ${actionId}: set-weights names no endpoint`, {
      code: EXECUTOR_ERROR_CODES.invalidAction,
    });
  }
  const unknown = entries.map(([id]) => id).filter((id) => !configured.includes(id));
  if (unknown.length) {
    // Drivetrain only touches records its configuration names; anything else in the set is someone else's.
    throw new PermanentExecutorError(
      `action ${actionId}: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not an endpoint of target ${target.id} (configured: ${configured.join(', ')})`,
      {
        code: EXECUTOR_ERROR_CODES.invalidAction,
      },
    );
  }
  const invalid = entries.filter(([, w]) => !isCount(w) || w > 255);
  if (invalid.length) {
    throw new PermanentExecutorError(
      `action ${actionId}: ${kindTraits(target.resource.kind).routing?.weightsTitle ?? 'weights'} are whole numbers 0-255, got ${invalid.map(([id, w]) => `${id}=${w}`).join(', ')}`,
      {
        code: EXECUTOR_ERROR_CODES.invalidAction,
      },
    );
  }
  return action.weights;
}

function isCount(n: number): boolean {
  return Number.isInteger(n) && n >= 0;
}
