/**
 * Application Auto Scaling executor (ECS services, DynamoDB tables and indexes, Aurora replicas, SageMaker
 * variants, ElastiCache, Lambda provisioned concurrency managed by AAS, …). Floor management only: Drivetrain
 * owns the scalable target's MinCapacity (pre-warm, business demand, fallback); its MaxCapacity and its own
 * scaling policies and scheduled actions stay with their owner. The allocation is { desired: MinCapacity,
 * floor: MinCapacity } — DescribeScalableTargets does not report the current capacity, and Drivetrain does
 * not own it.
 *
 * Drivetrain never registers a new scalable target (that takes a MaxCapacity and, for some services, a
 * service-linked role: the owner's decisions); an unregistered target is a permanent resource-not-found.
 */
import type { Target } from '../domain/model';
import {
  EXECUTOR_ERROR_CODES,
  PermanentExecutorError,
  type AllocationExecutor,
  type ApplicationAutoScalingPort,
  type ScalableTargetCapacity,
  type ScalableTargetRef,
} from '../ports';
import { assertEnforced, capacityAction, converge, resourceOf, type Plan } from './converge';
import { type RetryOptions, withRetry } from './retry';

export function createApplicationAutoScalingExecutor(
  port: ApplicationAutoScalingPort,
  retry: Partial<RetryOptions> = {},
): AllocationExecutor {
  return {
    async observe(target: Target) {
      const ref = scalableTargetOf(target);
      const found = await withRetry(() => port.describe(ref), {
        ...retry,
        label: `DescribeScalableTargets ${describeRef(ref)}`,
      });
      return found && { kind: 'capacity', desired: found.min, floor: found.min };
    },

    async observeServing(target, following) {
      const ref = scalableTargetOf(target);
      const found = await withRetry(() => port.describe(ref), {
        ...retry,
        label: `DescribeScalableTargets ${describeRef(ref)}`,
      });
      if (!found) return { state: 'failed', cause: `scalable target ${describeRef(ref)} is no longer registered` };
      const floor = following.desired.kind === 'capacity' ? (following.desired.floor ?? following.desired.desired) : 0;
      // AAS reports the registered bounds, not what the service runs: the floor in place is all it can confirm.
      return found.min >= floor
        ? {
            state: 'serving',
            detail: `MinCapacity ${found.min} registered (the service's running capacity is not read)`,
            timeToServeUnknown: true,
          }
        : { state: 'in-progress', detail: `MinCapacity ${found.min} of ${floor}` };
    },

    async apply(target, action, actionId) {
      const ref = scalableTargetOf(target);
      const { floor } = capacityAction(target, action, actionId);
      assertEnforced(target, actionId);
      return converge(
        { ...retry, label: `${actionId} ${describeRef(ref)}` },
        () => port.describe(ref),
        (found) => planMinCapacity(port, ref, found, floor),
      );
    },
  };
}

function scalableTargetOf(target: Target): ScalableTargetRef {
  const { serviceNamespace, resourceId, scalableDimension } = resourceOf(target, 'application-auto-scaling');
  return { serviceNamespace, resourceId, scalableDimension };
}

export function describeRef(ref: ScalableTargetRef): string {
  return `${ref.serviceNamespace} ${ref.resourceId} ${ref.scalableDimension}`;
}

export function planMinCapacity(
  port: ApplicationAutoScalingPort,
  ref: ScalableTargetRef,
  found: ScalableTargetCapacity | undefined,
  floor: number,
): Plan {
  const where = describeRef(ref);
  if (!found) {
    throw new PermanentExecutorError(`scalable target ${where} is not registered with Application Auto Scaling`, {
      code: EXECUTOR_ERROR_CODES.resourceNotFound,
    });
  }
  if (floor > found.max) {
    // Raising MaxCapacity would lift the ceiling the target's owner set (cost, quotas), as with ASG MaxSize.
    throw new PermanentExecutorError(
      `floor ${floor} exceeds MaxCapacity ${found.max} of scalable target ${where}; Drivetrain never raises ` +
        "MaxCapacity: raise it on the target or lower the policy's bounds.max",
      { code: EXECUTOR_ERROR_CODES.desiredAboveMaxSize },
    );
  }
  if (found.min === floor) return { unchanged: `${where} already at MinCapacity ${floor} (MaxCapacity ${found.max})` };
  // A MinCapacity above the current capacity makes AAS scale the resource out to it; a lower one leaves the
  // capacity to the target's own policies.
  return {
    detail: `RegisterScalableTarget ${where} MinCapacity ${found.min}→${floor} (MaxCapacity ${found.max} kept)`,
    write: () => port.setMinCapacity(ref, floor),
  };
}
