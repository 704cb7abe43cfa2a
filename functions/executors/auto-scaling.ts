/**
 * EC2 Auto Scaling executor. The allocation is { desired: DesiredCapacity, floor: MinSize }; MaxSize belongs
 * to whoever owns the group and Drivetrain never changes it.
 *
 * A floor-managed group (`manage: floor`) keeps its DesiredCapacity with its own scaling policies: Drivetrain
 * owns MinSize only, its allocation is { desired: MinSize, floor: MinSize }, and no path here calls
 * SetDesiredCapacity or names DesiredCapacity for it.
 */
import type { Target } from '../domain/model';
import { isFloorManaged } from '../domain/target-kinds';
import {
  EXECUTOR_ERROR_CODES,
  PermanentExecutorError,
  type AllocationExecutor,
  type AutoScalingGroupCapacity,
  type AutoScalingPort,
  type Following,
  type ServingObservation,
} from '../ports';
import { assertEnforced, capacityAction, converge, resourceOf, type Plan } from './converge';
import { type RetryOptions, withRetry } from './retry';

export function createAutoScalingExecutor(
  port: AutoScalingPort,
  retry: Partial<RetryOptions> = {},
): AllocationExecutor {
  return {
    async observe(target: Target) {
      const { autoScalingGroupName: name } = resourceOf(target, 'ec2-asg');
      const group = await withRetry(() => port.describe(name), {
        ...retry,
        label: `DescribeAutoScalingGroups ${name}`,
      });
      if (!group) return undefined;
      return isFloorManaged(target)
        ? { kind: 'capacity', desired: group.min, floor: group.min }
        : { kind: 'capacity', desired: group.desired, floor: group.min };
    },

    async observeServing(target, following) {
      const { autoScalingGroupName: name } = resourceOf(target, 'ec2-asg');
      const group = await withRetry(() => port.describe(name), {
        ...retry,
        label: `DescribeAutoScalingGroups ${name}`,
      });
      // The scaling activities are read only while instances are missing: a serving group costs one call.
      const serving = servingGroup(name, group, following);
      if (serving) return serving;
      const failed = await withRetry(() => port.failedActivities(name, following.appliedAt), {
        ...retry,
        label: `DescribeScalingActivities ${name}`,
      });
      const count = group!.inService ?? group!.desired;
      const inService = `${count} of ${wantedUnits(following)} instances InService`;
      if (failed.length > 0)
        return { state: 'failed', cause: `launch failed (${inService}): ${failed[0]!.cause}`, serving: count };
      return { state: 'in-progress', detail: inService, serving: count };
    },

    async apply(target, action, actionId) {
      const { autoScalingGroupName: name } = resourceOf(target, 'ec2-asg');
      const wanted = capacityAction(target, action, actionId);
      assertEnforced(target, actionId);
      return converge(
        { ...retry, label: `${actionId} ${name}` },
        () => port.describe(name),
        (group) =>
          isFloorManaged(target)
            ? planMinSize(port, name, group, wanted.floor)
            : planCapacity(port, name, group, wanted),
      );
    },
  };
}

function wantedUnits(following: Following): number {
  return following.desired.kind === 'capacity' ? following.desired.desired : 0;
}

/** The answer when the group alone tells it (gone, or enough instances InService); undefined otherwise. */
function servingGroup(
  name: string,
  group: AutoScalingGroupCapacity | undefined,
  following: Following,
): ServingObservation | undefined {
  if (!group) return { state: 'failed', cause: `Auto Scaling group ${name} not found (deleted since the apply?)` };
  const wanted = wantedUnits(following);
  // A source that cannot count instances (inService absent) serves what it was asked for.
  const inService = group.inService ?? group.desired;
  if (inService >= wanted)
    return { state: 'serving', detail: `${inService} of ${wanted} instances InService`, serving: inService };
  return undefined;
}

export function planCapacity(
  port: AutoScalingPort,
  name: string,
  group: AutoScalingGroupCapacity | undefined,
  { desired, floor }: { desired: number; floor: number },
): Plan {
  if (!group) {
    throw new PermanentExecutorError(`Auto Scaling group ${name} not found`, {
      code: EXECUTOR_ERROR_CODES.resourceNotFound,
    });
  }
  if (desired > group.max) {
    // Raising MaxSize would quietly lift the ceiling the group's owner set (cost, subnet IPs, quotas).
    throw new PermanentExecutorError(
      `desired ${desired} exceeds MaxSize ${group.max} of Auto Scaling group ${name}; Drivetrain never raises MaxSize: raise it on the group or lower the policy's bounds.max`,
      { code: EXECUTOR_ERROR_CODES.desiredAboveMaxSize },
    );
  }
  if (group.desired === desired && group.min === floor) {
    return { unchanged: `${name} already at DesiredCapacity ${desired}, MinSize ${floor} (MaxSize ${group.max})` };
  }
  if (group.min === floor) {
    return {
      detail: `SetDesiredCapacity ${name} ${group.desired}→${desired}`,
      write: () => port.setCapacity(name, { desired }),
    };
  }
  // MinSize and DesiredCapacity move in one UpdateAutoScalingGroup call: the group goes from one valid
  // state (min <= desired <= max) straight to another. Two calls would have to be ordered by direction —
  // raise desired before MinSize, lower MinSize only after (or with) desired — and a failure between them
  // would leave a half-applied floor; one call has no in-between.
  const parts = [
    group.desired === desired ? undefined : `DesiredCapacity ${group.desired}→${desired}`,
    `MinSize ${group.min}→${floor}`,
  ].filter((p): p is string => p !== undefined);
  return {
    detail: `UpdateAutoScalingGroup ${name} ${parts.join(', ')}`,
    write: () => port.setCapacity(name, { desired, min: floor }),
  };
}

/** Floor-managed groups: MinSize only. DesiredCapacity is never named, so the group's own policies keep it. */
export function planMinSize(
  port: AutoScalingPort,
  name: string,
  group: AutoScalingGroupCapacity | undefined,
  floor: number,
): Plan {
  if (!group) {
    throw new PermanentExecutorError(`Auto Scaling group ${name} not found`, {
      code: EXECUTOR_ERROR_CODES.resourceNotFound,
    });
  }
  if (floor > group.max) {
    throw new PermanentExecutorError(
      `floor ${floor} exceeds MaxSize ${group.max} of Auto Scaling group ${name}; Drivetrain never raises MaxSize: ` +
        "raise it on the group or lower the policy's bounds.max",
      { code: EXECUTOR_ERROR_CODES.desiredAboveMaxSize },
    );
  }
  if (group.min === floor) {
    return { unchanged: `${name} already at MinSize ${floor} (DesiredCapacity ${group.desired} is the group's own)` };
  }
  // Raising MinSize above the current desired makes EC2 Auto Scaling raise desired to it; lowering MinSize
  // leaves desired where the group's policies put it, and they scale in from there.
  const effect = floor > group.desired ? `; the group raises DesiredCapacity ${group.desired}→${floor} itself` : '';
  return {
    detail: `UpdateAutoScalingGroup ${name} MinSize ${group.min}→${floor} (DesiredCapacity left to the group${effect})`,
    write: () => port.setMinSize(name, floor),
  };
}
