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
import { TARGET_KINDS, type TargetKind } from '../functions/domain/target-kinds';
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
    if (resources.albListenerRules.length > 0 && resources.autoScalingGroups.length === 0) {
      Validations.of(this.policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only elasticloadbalancing:DescribeRules is granted on "*": the service authorization reference lists no resource type for it. ModifyRule is scoped to the configured listener rule ARNs.',
      });
    }
    if (resources.autoScalingGroups.length > 0) {
      Validations.of(this.policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          resources.albListenerRules.length > 0
            ? 'Only autoscaling:DescribeAutoScalingGroups, DescribeScalingActivities (the follow-through: failed launches) and elasticloadbalancing:DescribeRules are granted on "*": none supports resource-level permissions (service authorization reference). Every mutating action is scoped to the configured groups and listener rules.'
            : 'Only autoscaling:DescribeAutoScalingGroups and DescribeScalingActivities (the follow-through: failed launches) are granted on "*": Describe* actions of EC2 Auto Scaling support no resource-level permissions. Every mutating action is scoped to the configured group names.',
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

/**
 * The target-kind registry, IAM layer: the statements each kind's executor needs on the configured resources
 * (none when the config has no target of the kind). Keyed by every kind, so a kind without IAM does not compile.
 */
export const KIND_STATEMENTS = {
  'ec2-asg': autoScalingStatements,
  'lambda-provisioned-concurrency': provisionedConcurrencyStatements,
  'route53-weighted': weightedRecordStatements,
  'alb-weighted': albRuleStatements,
} satisfies Record<TargetKind, (resources: AllocationResources) => iam.PolicyStatement[]>;

export function allocationStatements(resources: AllocationResources): iam.PolicyStatement[] {
  return TARGET_KINDS.flatMap((kind) => KIND_STATEMENTS[kind](resources));
}

function autoScalingStatements(resources: AllocationResources): iam.PolicyStatement[] {
  if (resources.autoScalingGroups.length === 0) return [];
  return [
    new iam.PolicyStatement({
      sid: 'DescribeAutoScalingGroups',
      // DescribeScalingActivities: the follow-through reads failed launches of an applied plan.
      actions: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'SetCapacityOfConfiguredGroups',
      actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:UpdateAutoScalingGroup'],
      resources: resources.autoScalingGroups.map(autoScalingGroupArn),
    }),
  ];
}

function provisionedConcurrencyStatements(resources: AllocationResources): iam.PolicyStatement[] {
  if (resources.provisionedConcurrency.length === 0) return [];
  return [
    new iam.PolicyStatement({
      sid: 'ProvisionedConcurrencyOfConfiguredFunctions',
      actions: [
        'lambda:GetProvisionedConcurrencyConfig',
        'lambda:PutProvisionedConcurrencyConfig',
        'lambda:DeleteProvisionedConcurrencyConfig',
      ],
      resources: resources.provisionedConcurrency.map((fn) => fn.arn),
    }),
  ];
}

function albRuleStatements(resources: AllocationResources): iam.PolicyStatement[] {
  if (resources.albListenerRules.length === 0) return [];
  return [
    new iam.PolicyStatement({
      sid: 'DescribeListenerRules',
      actions: ['elasticloadbalancing:DescribeRules'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'ModifyConfiguredListenerRules',
      actions: ['elasticloadbalancing:ModifyRule'],
      resources: resources.albListenerRules.map((rule) => rule.arn),
    }),
  ];
}

function weightedRecordStatements(resources: AllocationResources): iam.PolicyStatement[] {
  if (resources.weightedRecords.length === 0) return [];
  const zones = [...new Set(resources.weightedRecords.map((r) => r.hostedZoneId))].sort();
  const statements = [
    new iam.PolicyStatement({
      sid: 'ReadConfiguredHostedZones',
      actions: ['route53:ListResourceRecordSets'],
      resources: zones.map(hostedZoneArn),
    }),
  ];
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
