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
import {
  autoScalingGroupArn,
  hostedZoneArn,
  normalizedRecordName,
  scalableTargetArnPattern,
  type AllocationResources,
} from './resource-arns';

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
    const scalable = resources.scalableTargets.length > 0;
    const describing = [
      resources.autoScalingGroups.length > 0 ? 'EC2 Auto Scaling Describe* (groups, scaling activities)' : undefined,
      scalable ? 'Application Auto Scaling Describe*' : undefined,
      resources.albListenerRules.length > 0 ? 'elasticloadbalancing:DescribeRules' : undefined,
    ].filter((x): x is string => x !== undefined);
    if (describing.length > 0) {
      Validations.of(this.policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          `Only ${describing.join(', ')} ${describing.length === 1 ? 'is' : 'are'} granted on "*": the service ` +
          'authorization reference lists no resource type for them. Every mutating action is scoped to the ' +
          'configured resources.',
      });
    }
    if (scalable) {
      Validations.of(this.policy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:application-autoscaling:<AWS::Region>:<AWS::AccountId>:scalable-target/*]',
        reason:
          'A scalable target ARN ends in an id AAS generates at registration (unknown at synth, new on re-registration); ' +
          'RegisterScalableTarget is held to the configured resources by the grants AAS validates on them.',
      });
    }
    if (resources.autoScalingGroups.length > 0) {
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
  'application-auto-scaling': scalableTargetStatements,
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
      // (The coexistence check reads the group's own policies in `validate --live`, with the operator's
      // credentials: the functions never call DescribePolicies, so they are not granted it.)
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

function scalableTargetStatements(resources: AllocationResources): iam.PolicyStatement[] {
  if (resources.scalableTargets.length === 0) return [];
  const statements = [
    new iam.PolicyStatement({
      sid: 'DescribeScalableTargets',
      // Application Auto Scaling's Describe* actions support no resource-level permissions.
      actions: ['application-autoscaling:DescribeScalableTargets'],
      resources: ['*'],
    }),
    new iam.PolicyStatement({
      sid: 'RegisterScalableTargets',
      actions: ['application-autoscaling:RegisterScalableTarget'],
      resources: [scalableTargetArnPattern()],
    }),
  ];
  // AAS validates that the caller may change the resource behind the target (ECS service, DynamoDB table)
  // before it accepts a RegisterScalableTarget: those grants, on the configured resources only.
  const byActions = new Map<string, { actions: string[]; arns: Set<string> }>();
  for (const target of resources.scalableTargets) {
    const key = target.actions.join(',');
    const entry = byActions.get(key) ?? { actions: target.actions, arns: new Set<string>() };
    for (const arn of target.resourceArns) entry.arns.add(arn);
    byActions.set(key, entry);
  }
  for (const { actions, arns } of byActions.values()) {
    statements.push(
      new iam.PolicyStatement({
        sid: `ScalableResource${sidSuffix(actions[0]!.split(':')[0]!)}`,
        actions,
        resources: [...arns].sort(),
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
