/**
 * AutoScalingPort on the EC2 Auto Scaling API. SDK errors propagate unchanged; the executors classify them.
 */
import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AutoScalingGroupCapacity, AutoScalingPort, OwnScaling } from '../../ports';

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
    return { desired, min, max };
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
