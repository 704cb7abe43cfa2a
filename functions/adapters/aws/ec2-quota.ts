/**
 * Ec2QuotaPort on Service Quotas, EC2 and EC2 Auto Scaling, for `validate --live` only. Not exported from
 * ./index.ts: only the CLI loads it (cli/context.ts), so no Lambda bundle carries the EC2 or Service Quotas
 * clients (test/cdk/bundle.test.ts).
 */
import {
  type AutoScalingClient,
  type AutoScalingGroup,
  DescribeAutoScalingGroupsCommand,
  DescribeLaunchConfigurationsCommand,
  type LaunchTemplateOverrides,
  type LaunchTemplateSpecification,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  type DescribeLaunchTemplateVersionsCommandOutput,
  type EC2Client,
  type _InstanceType,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import {
  GetServiceQuotaCommand,
  NoSuchResourceException,
  type ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { z } from 'zod';
import {
  type Ec2CapacityUnit,
  type Ec2LaunchOption,
  type Ec2LaunchOptions,
  type Ec2QuotaPort,
  LaunchSourceNotFoundError,
} from '../../ports';

/** Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances, in vCPUs (Service Quotas, service ec2). */
export const EC2_ON_DEMAND_STANDARD_QUOTA = { serviceCode: 'ec2', quotaCode: 'L-1216C47A' } as const;

/** DescribeInstanceTypes takes at most 100 instance types per request. */
const MAX_TYPES_PER_REQUEST = 100;

/** The version a launch template specification without one means (EC2 Auto Scaling's own default). */
const DEFAULT_VERSION = '$Default';

/** EC2's answers (unmodeled, so named after the wire code) when the template or its version does not exist. */
const TEMPLATE_GONE = /^InvalidLaunchTemplate(?:Id|Name)\.(?:NotFound|NotFoundException|VersionNotFound)$/;

/** The SDK types these as strings: a value AWS does not document is refused here, not guessed at. */
const CapacityUnit = z.enum(['units', 'vcpu', 'memory-mib']).default('units');
/** WeightedCapacity: a whole number of capacity units, 1–999; absent means 1 (no weights). */
const Weight = z
  .string()
  .regex(/^[1-9]\d{0,2}$/, 'WeightedCapacity must be a whole number 1–999')
  .transform(Number)
  .default(1);

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

  async launchOptions(groupName: string): Promise<Ec2LaunchOptions> {
    const output = await this.clients.autoScaling.send(
      new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] }),
    );
    const group = output.AutoScalingGroups?.find((g) => g.AutoScalingGroupName === groupName);
    if (!group) return { capacityUnit: 'units', options: [] };
    const capacityUnit: Ec2CapacityUnit = CapacityUnit.parse(group.DesiredCapacityType);
    // Running instances may predate the group's current template (an instance refresh not done yet).
    const running = (group.Instances ?? []).flatMap((i): Ec2LaunchOption[] =>
      i.InstanceType ? [{ instanceType: i.InstanceType, weight: Weight.parse(i.WeightedCapacity) }] : [],
    );
    const next = await this.launchedNext(group, groupName);
    return { capacityUnit, options: distinct([...running, ...next]) };
  }

  async vcpus(instanceTypes: readonly string[]): Promise<Record<string, number>> {
    const found: Record<string, number> = {};
    for (let i = 0; i < instanceTypes.length; i += MAX_TYPES_PER_REQUEST) {
      const batch = instanceTypes.slice(i, i + MAX_TYPES_PER_REQUEST) as _InstanceType[];
      // EC2 may page even a named list (NextToken); a type on a page not read would go unchecked. A batch
      // holds at most 100 types and a page at least 5, so more pages than that is a broken token.
      let nextToken: string | undefined;
      for (let page = 0; page < MAX_TYPES_PER_REQUEST / 5; page++) {
        const output = await this.clients.ec2.send(
          new DescribeInstanceTypesCommand({ InstanceTypes: batch, ...(nextToken ? { NextToken: nextToken } : {}) }),
        );
        for (const info of output.InstanceTypes ?? [])
          if (info.InstanceType && info.VCpuInfo?.DefaultVCpus !== undefined)
            found[info.InstanceType] = info.VCpuInfo.DefaultVCpus;
        nextToken = output.NextToken;
        if (!nextToken) break;
      }
    }
    return found;
  }

  /**
   * What a scale-out launches. Overrides replace the template's instance type; an override names a type or
   * requirements, and its own launch template (another AMI, say) is read only when it names neither.
   */
  private async launchedNext(group: AutoScalingGroup, groupName: string): Promise<Ec2LaunchOption[]> {
    const template = async (spec: LaunchTemplateSpecification, weight: number) =>
      templateOptions(await this.templateData(groupName, spec), weight);
    const mixed = group.MixedInstancesPolicy?.LaunchTemplate;
    if (mixed) {
      const spec = mixed.LaunchTemplateSpecification;
      const overrides = mixed.Overrides ?? [];
      if (overrides.length === 0) return spec ? template(spec, 1) : [];
      const each = await Promise.all(
        overrides.map(async (o) => {
          const named = fromOverride(o);
          if (named) return [named];
          const own = o.LaunchTemplateSpecification ?? spec;
          return own ? template(own, Weight.parse(o.WeightedCapacity)) : [];
        }),
      );
      return each.flat();
    }
    if (group.LaunchTemplate) return template(group.LaunchTemplate, 1);
    if (group.LaunchConfigurationName) return this.fromLaunchConfiguration(groupName, group.LaunchConfigurationName);
    return [];
  }

  /** The data of the template version the group uses: the one it names, its $Default when it names none. */
  private async templateData(
    groupName: string,
    spec: LaunchTemplateSpecification,
  ): Promise<ResponseLaunchTemplateData> {
    const version = spec.Version ?? DEFAULT_VERSION;
    const source = `launch template ${spec.LaunchTemplateId ?? spec.LaunchTemplateName} version ${version}`;
    // The API takes the id or the name, not both; the group's answer usually carries both.
    const which = spec.LaunchTemplateId
      ? { LaunchTemplateId: spec.LaunchTemplateId }
      : { LaunchTemplateName: spec.LaunchTemplateName };
    let output: DescribeLaunchTemplateVersionsCommandOutput;
    try {
      output = await this.clients.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({ ...which, Versions: [version] }),
      );
    } catch (error) {
      if (error instanceof Error && TEMPLATE_GONE.test(error.name))
        throw new LaunchSourceNotFoundError(groupName, source, { cause: error });
      throw error;
    }
    const data = output.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    if (!data) throw new LaunchSourceNotFoundError(groupName, source);
    return data;
  }

  private async fromLaunchConfiguration(groupName: string, name: string): Promise<Ec2LaunchOption[]> {
    const output = await this.clients.autoScaling.send(
      new DescribeLaunchConfigurationsCommand({ LaunchConfigurationNames: [name] }),
    );
    // An unknown name is not an error for this API either: an empty list.
    const found = output.LaunchConfigurations?.find((c) => c.LaunchConfigurationName === name);
    if (!found) throw new LaunchSourceNotFoundError(groupName, `launch configuration ${name}`);
    return found.InstanceType ? [{ instanceType: found.InstanceType, weight: 1 }] : [];
  }
}

/** A template's attribute-based selection, else its instance type (none: it leaves the type to overrides). */
function templateOptions(data: ResponseLaunchTemplateData, weight: number): Ec2LaunchOption[] {
  const vcpus = data.InstanceRequirements?.VCpuCount;
  if (vcpus?.Min !== undefined) return [requirementsOption(vcpus.Min, vcpus.Max, weight)];
  return data.InstanceType ? [{ instanceType: data.InstanceType, weight }] : [];
}

/** The type or vCPU range an override names itself, if it does. */
function fromOverride(override: LaunchTemplateOverrides): Ec2LaunchOption | undefined {
  const weight = Weight.parse(override.WeightedCapacity);
  if (override.InstanceType) return { instanceType: override.InstanceType, weight };
  const vcpus = override.InstanceRequirements?.VCpuCount;
  if (vcpus?.Min !== undefined) return requirementsOption(vcpus.Min, vcpus.Max, weight);
  return undefined;
}

function requirementsOption(min: number, max: number | undefined, weight: number): Ec2LaunchOption {
  return { vcpus: max === undefined ? { min } : { min, max }, weight };
}

function distinct(options: Ec2LaunchOption[]): Ec2LaunchOption[] {
  const byKey = new Map(options.map((o) => [JSON.stringify(o), o]));
  return [...byKey.values()];
}
