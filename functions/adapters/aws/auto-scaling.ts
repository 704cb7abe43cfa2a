/**
 * AutoScalingPort on the EC2 Auto Scaling API. SDK errors propagate unchanged; the executors classify them.
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScalingActivitiesCommand,
  DescribeScheduledActionsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroupCapacity, AutoScalingPort, FailedScalingActivity, OwnScaling } from '../../ports';

/**
 * Activities are listed newest first; a follow-through looks at the window since its plan was applied
 * (bounded by SERVING_TIMEOUT_SECONDS). Pages of 50 (the API's maximum) are read until one reaches before
 * the window start: a group churning instances (a launch failing and retried every few seconds, a refresh)
 * can start more than 50 activities inside the window, and the failure on the next page is the one that
 * says why the plan does not serve. MAX_ACTIVITY_PAGES bounds the reading for a group that churns even more.
 */
const ACTIVITIES_PAGE = 50;
const MAX_ACTIVITY_PAGES = 5;
const UNSUCCESSFUL = new Set(['Failed', 'Cancelled']);

export class AwsAutoScalingAdapter implements AutoScalingPort {
  constructor(private readonly client: AutoScalingClient) {}

  async describe(groupName: string): Promise<AutoScalingGroupCapacity | undefined> {
    const output = await this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }));
    // An unknown name is not an error for this API: it answers with an empty list.
    const group = output.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === groupName);
    if (!group) return undefined;
    const { DesiredCapacity: desired, MinSize: min, MaxSize: max } = group;
    if (desired === undefined || min === undefined || max === undefined) {
      throw new Error(`DescribeAutoScalingGroups returned ${groupName} without DesiredCapacity/MinSize/MaxSize`);
    }
    // The API always lists Instances; a response without the list cannot tell, and says nothing about serving.
    if (!group.Instances) return { desired, min, max };
    const inService = group.Instances.filter((i) => i.LifecycleState === 'InService').length;
    return { desired, min, max, inService };
  }

  async failedActivities(groupName: string, since: number): Promise<FailedScalingActivity[]> {
    const failed: FailedScalingActivity[] = [];
    let nextToken: string | undefined;
    for (let page = 1; page <= MAX_ACTIVITY_PAGES; page++) {
      const output = await this.client.send(
        new DescribeScalingActivitiesCommand({
          AutoScalingGroupName: groupName,
          MaxRecords: ACTIVITIES_PAGE,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      let reachedStart = false;
      for (const activity of output.Activities ?? []) {
        const at = activity.StartTime ? activity.StartTime.getTime() / 1000 : undefined;
        if (at !== undefined && at < since) reachedStart = true;
        if (at === undefined || at < since || !UNSUCCESSFUL.has(activity.StatusCode ?? '')) continue;
        const cause = activity.StatusMessage || activity.Description || `activity ${activity.StatusCode}`;
        failed.push({ at, cause });
      }
      nextToken = output.NextToken;
      if (reachedStart || !nextToken) break;
    }
    return failed;
  }

  async setCapacity(groupName: string, change: { desired: number; min?: number }): Promise<void> {
    if (change.min === undefined) {
      await this.client.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: groupName,
          DesiredCapacity: change.desired,
          // Drivetrain's own stabilization windows already decided this change may happen now. Honouring
          // the group's cooldown would make AWS reject it with ScalingActivityInProgress during any cooldown
          // (e.g. right after the group's own policy fired), delaying a pre-warm or an urgent scale-out.
          HonorCooldown: false,
        }),
      );
      return;
    }
    // Both in one request so the group is never in an in-between state (see executors/auto-scaling.ts).
    await this.client.send(
      new UpdateAutoScalingGroupCommand({
        AutoScalingGroupName: groupName,
        MinSize: change.min,
        DesiredCapacity: change.desired,
      }),
    );
  }

  async setMinSize(groupName: string, min: number): Promise<void> {
    // MinSize alone: DesiredCapacity is the group's own policies'. EC2 Auto Scaling raises desired to a new
    // MinSize above it by itself, and never lowers desired when MinSize goes down.
    await this.client.send(new UpdateAutoScalingGroupCommand({ AutoScalingGroupName: groupName, MinSize: min }));
  }

  async ownScaling(groupName: string): Promise<OwnScaling> {
    const [policies, scheduled] = await Promise.all([
      this.client.send(new DescribePoliciesCommand({ AutoScalingGroupName: groupName })),
      this.client.send(new DescribeScheduledActionsCommand({ AutoScalingGroupName: groupName })),
    ]);
    return {
      policies: (policies.ScalingPolicies ?? []).map((p) => p.PolicyName ?? '?'),
      scheduledActions: (scheduled.ScheduledUpdateGroupActions ?? []).map((a) => a.ScheduledActionName ?? '?'),
    };
  }
}
