/**
 * ApplicationAutoScalingPort on the Application Auto Scaling API. SDK errors propagate unchanged; the
 * executors classify them.
 */
import {
  type ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  RegisterScalableTargetCommand,
  type ScalableDimension,
  type ServiceNamespace,
} from '@aws-sdk/client-application-auto-scaling';
import type { ApplicationAutoScalingPort, OwnScaling, ScalableTargetCapacity, ScalableTargetRef } from '../../ports';

export class AwsApplicationAutoScalingAdapter implements ApplicationAutoScalingPort {
  constructor(private readonly client: ApplicationAutoScalingClient) {}

  async describe(target: ScalableTargetRef): Promise<ScalableTargetCapacity | undefined> {
    const output = await this.client.send(
      new DescribeScalableTargetsCommand({
        ServiceNamespace: target.serviceNamespace as ServiceNamespace,
        ResourceIds: [target.resourceId],
        ScalableDimension: target.scalableDimension as ScalableDimension,
      }),
    );
    // An unregistered target is not an error for this API: it answers with an empty list.
    const found = output.ScalableTargets?.find(
      (t) => t.ResourceId === target.resourceId && t.ScalableDimension === target.scalableDimension,
    );
    if (!found) return undefined;
    const { MinCapacity: min, MaxCapacity: max } = found;
    if (min === undefined || max === undefined) {
      throw new Error(`DescribeScalableTargets returned ${target.resourceId} without MinCapacity/MaxCapacity`);
    }
    return { min, max };
  }

  async setMinCapacity(target: ScalableTargetRef, min: number): Promise<void> {
    // Only MinCapacity is named: an update changes only the parameters it names, so MaxCapacity, the
    // suspended state and the target's own policies stay its owner's.
    await this.client.send(
      new RegisterScalableTargetCommand({
        ServiceNamespace: target.serviceNamespace as ServiceNamespace,
        ResourceId: target.resourceId,
        ScalableDimension: target.scalableDimension as ScalableDimension,
        MinCapacity: min,
      }),
    );
  }

  async ownScaling(target: ScalableTargetRef): Promise<OwnScaling> {
    const ref = {
      ServiceNamespace: target.serviceNamespace as ServiceNamespace,
      ResourceId: target.resourceId,
      ScalableDimension: target.scalableDimension as ScalableDimension,
    };
    const [policies, scheduled] = await Promise.all([
      this.client.send(new DescribeScalingPoliciesCommand(ref)),
      this.client.send(
        new DescribeScheduledActionsCommand({
          ServiceNamespace: ref.ServiceNamespace,
          ResourceId: ref.ResourceId,
          ScalableDimension: ref.ScalableDimension,
        }),
      ),
    ]);
    return {
      policies: (policies.ScalingPolicies ?? []).map((p) => p.PolicyName ?? '?'),
      scheduledActions: (scheduled.ScheduledActions ?? []).map((a) => a.ScheduledActionName ?? '?'),
    };
  }
}
