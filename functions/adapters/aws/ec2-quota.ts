/**
 * Ec2QuotaPort on Service Quotas, EC2 and EC2 Auto Scaling, for `validate --live` only. Not exported from
 * ./index.ts: only the CLI loads it (cli/context.ts), so no Lambda bundle carries the EC2 or Service Quotas
 * clients (test/cdk/bundle.test.ts).
 */
import { type AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceTypesCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import {
  GetServiceQuotaCommand,
  NoSuchResourceException,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import type { Ec2QuotaPort } from '../../ports';

/** Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, in vCPUs (Service Quotas, service ec2). */
export const EC2_ON_DEMAND_STANDARD_QUOTA = { serviceCode: 'ec2', quotaCode: 'L-1216C47A' } as const;

/** DescribeInstanceTypes takes at most 100 instance types per request. */
const MAX_TYPES_PER_REQUEST = 100;

export class AwsEc2QuotaAdapter implements Ec2QuotaPort {
  constructor(
    private readonly clients: { quotas: ServiceQuotasClient; ec2: EC2Client; autoScaling: AutoScalingClient },
  ) {}

  async onDemandStandardVcpus(): Promise<number | undefined> {
    try {
      const output = await this.clients.quotas.send(
        new GetServiceQuotaCommand({
          ServiceCode: EC2_ON_DEMAND_STANDARD_QUOTA.serviceCode,
          QuotaCode: EC2_ON_DEMAND_STANDARD_QUOTA.quotaCode,
        }),
      );
      return output.Quota?.Value;
    } catch (error) {
      if (error instanceof NoSuchResourceException) return undefined;
      throw error;
    }
  }

  async instanceTypes(groupName: string): Promise<string[]> {
    const output = await this.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
    );
    const group = output.AutoScalingGroups?.[0];
    const types = [
      ...(group?.Instances ?? []).map((i) => i.InstanceType),
      ...(group?.MixedInstancesPolicy?.LaunchTemplate?.Overrides ?? []).map((o) => o.InstanceType),
    ];
    return [...new Set(types.filter((t): t is string => t !== undefined))].sort();
  }

  async vcpus(instanceTypes: readonly string[]): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (let i = 0; i < instanceTypes.length; i += MAX_TYPES_PER_REQUEST) {
      const batch = instanceTypes.slice(i, i + MAX_TYPES_PER_REQUEST) as _InstanceType[];
      const output = await this.clients.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: batch }));
      for (const info of output.InstanceTypes ?? [])
        if (info.InstanceType && info.VCpuInfo?.DefaultVCpus !== undefined)
          found[info.InstanceType] = info.VCpuInfo.DefaultVCpus;
    }
    return found;
  }
}
