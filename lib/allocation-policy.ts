/**
 * What the executors may do to the allocation resources named in the config, and nothing else: one
 * customer-managed policy that both functions share, so there is a single document to review.
 *
 * Mutating actions are scoped to the configured resources only (no Resource "*"): Auto Scaling groups by
 * name, provisioned concurrency by qualified function ARN, Route 53 changes by hosted zone and, through
 * condition keys, by record name, record type and the UPSERT action the executor uses.
 */
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { autoScalingGroupArn, hostedZoneArn, normalizedRecordName, type AllocationResources } from './resource-arns';

export interface AllocationPolicyProps {
  readonly resources: AllocationResources;
}

export class AllocationPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: AllocationPolicyProps) {
    super(scope, id);
    const statements = allocationStatements(props.resources);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description:
        'Drivetrain executors: change the capacity, provisioned concurrency and weights of the configured resources only',
      statements,
    });
    this.acknowledgeWildcards(props.resources);
  }

  private acknowledgeWildcards(resources: AllocationResources): void {
    if (resources.autoScalingGroups.length > 0) {
      Validations.of(this.policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only autoscaling:DescribeAutoScalingGroups is granted on "*": Describe* actions of EC2 Auto Scaling support no resource-level permissions. Every mutating action is scoped to the configured group names.',
      });
      for (const group of resources.autoScalingGroups) {
        Validations.of(this.policy).acknowledge({
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${group}]`,
          reason: `The group's UUID segment is unknown at synth and changes when the group is re-created; the ARN pins the group by its configured name "${group}".`,
        });
      }
    }
  }
}

export function allocationStatements(resources: AllocationResources): iam.PolicyStatement[] {
  const statements: iam.PolicyStatement[] = [];
  if (resources.autoScalingGroups.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'DescribeAutoScalingGroups',
        actions: ['autoscaling:DescribeAutoScalingGroups'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'SetCapacityOfConfiguredGroups',
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:UpdateAutoScalingGroup'],
        resources: resources.autoScalingGroups.map(autoScalingGroupArn),
      }),
    );
  }
  if (resources.provisionedConcurrency.length > 0) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'ProvisionedConcurrencyOfConfiguredFunctions',
        actions: [
          'lambda:GetProvisionedConcurrencyConfig',
          'lambda:PutProvisionedConcurrencyConfig',
          'lambda:DeleteProvisionedConcurrencyConfig',
        ],
        resources: resources.provisionedConcurrency.map((fn) => fn.arn),
      }),
    );
  }
  if (resources.weightedRecords.length > 0) {
    const zones = [...new Set(resources.weightedRecords.map((r) => r.hostedZoneId))].sort();
    statements.push(
      new iam.PolicyStatement({
        sid: 'ReadConfiguredHostedZones',
        actions: ['route53:ListResourceRecordSets'],
        resources: zones.map(hostedZoneArn),
      }),
    );
    // One statement per record: ForAllValues compares each key on its own, so a shared statement for two
    // records would also allow the name of one with the type of the other.
    const sids = new Set<string>();
    for (const record of resources.weightedRecords) {
      let sid = `UpsertWeights${sidSuffix(record.targetId)}`;
      for (let n = 2; sids.has(sid); n++) sid = `UpsertWeights${sidSuffix(record.targetId)}${n}`;
      sids.add(sid);
      statements.push(
        new iam.PolicyStatement({
          sid,
          actions: ['route53:ChangeResourceRecordSets'],
          resources: [hostedZoneArn(record.hostedZoneId)],
          conditions: {
            'ForAllValues:StringEquals': {
              'route53:ChangeResourceRecordSetsNormalizedRecordNames': [normalizedRecordName(record.recordName)],
              'route53:ChangeResourceRecordSetsRecordTypes': [record.recordType],
              'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
            },
          },
        }),
      );
    }
  }
  return statements;
}

/** IAM statement ids are alphanumeric only. */
function sidSuffix(targetId: string): string {
  return targetId
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
