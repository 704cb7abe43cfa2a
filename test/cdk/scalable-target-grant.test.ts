/**
 * IAM for the coexisting kinds, from the SYNTHESIZED allocation policy evaluated with the IAM simulator: the
 * application-auto-scaling target may register (update) scalable targets in the stack's account and region,
 * change the one configured ECS service AAS validates on its behalf, and read (Describe*) — nothing else; a
 * floor-managed group keeps the group-scoped grant and gains only the Describe* coexistence reads.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { targetSchema } from '../../functions/domain/model';
import { AllocationPolicy } from '../../lib/allocation-policy';
import { allocationResources } from '../../lib/resource-arns';
import { identityVerdict, resolveIntrinsics, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { appWithoutBundling } from './support';

const policy = { version: 'p', bounds: { min: 1, max: 10 }, rules: [], fallback: { allocation: 1 } };
const targets = [
  targetSchema.parse({
    id: 'orders-ecs',
    resource: {
      kind: 'application-auto-scaling',
      serviceNamespace: 'ecs',
      resourceId: 'service/prod/orders',
      scalableDimension: 'ecs:service:DesiredCount',
    },
    allowedSources: ['x'],
    policy,
  }),
  targetSchema.parse({
    id: 'batch-asg',
    resource: { kind: 'ec2-asg', autoScalingGroupName: 'batch', manage: 'floor' },
    allowedSources: ['x'],
    policy,
  }),
];

function synthesizedPolicy(): unknown {
  const issues: string[] = [];
  const resources = allocationResources(targets, (issue) => issues.push(issue.message));
  expect(issues).toEqual([]);
  const stack = new Stack(appWithoutBundling(), 'GrantTest');
  new AllocationPolicy(stack, 'Allocation', { resources });
  const [managed] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy'));
  return resolveIntrinsics((managed as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument);
}

const ROLE = `arn:aws:iam::${STACK_ACCOUNT}:role/drivetrain-reconcile`;
const aas = (id: string, region = STACK_REGION, account = STACK_ACCOUNT) =>
  `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${id}`;
const ecs = (path: string) => `arn:aws:ecs:${STACK_REGION}:${STACK_ACCOUNT}:service/${path}`;

describe('allocation policy for application-auto-scaling and floor-managed targets (IAM simulator)', () => {
  const identityPolicy = synthesizedPolicy();
  const verdict = identityVerdict(identityPolicy, ROLE);

  it.each([
    ['application-autoscaling:RegisterScalableTarget', aas('0123456789abcdef0123456789abcdef')],
    ['application-autoscaling:DescribeScalableTargets', '*'],
    ['ecs:UpdateService', ecs('prod/orders')],
    ['ecs:DescribeServices', ecs('prod/orders')],
    [
      'autoscaling:UpdateAutoScalingGroup',
      `arn:aws:autoscaling:${STACK_REGION}:${STACK_ACCOUNT}:autoScalingGroup:u-1:autoScalingGroupName/batch`,
    ],
  ])('allows %s on %s', async (action, resource) => {
    expect(await verdict(action, resource)).toBe('Allowed');
  });

  it.each([
    ['application-autoscaling:RegisterScalableTarget', aas('0abc', 'eu-west-1')],
    ['application-autoscaling:RegisterScalableTarget', aas('0abc', STACK_REGION, '444455556666')],
    ['application-autoscaling:DeregisterScalableTarget', aas('0abc')],
    ['application-autoscaling:PutScalingPolicy', aas('0abc')],
    ['application-autoscaling:DeleteScalingPolicy', aas('0abc')],
    // The coexistence reads run in `validate --live` with the operator's credentials, not in the functions.
    ['application-autoscaling:DescribeScalingPolicies', '*'],
    ['autoscaling:DescribePolicies', '*'],
    ['ecs:UpdateService', ecs('prod/payments')],
    ['ecs:DeleteService', ecs('prod/orders')],
    [
      'autoscaling:UpdateAutoScalingGroup',
      `arn:aws:autoscaling:${STACK_REGION}:${STACK_ACCOUNT}:autoScalingGroup:u-2:autoScalingGroupName/other`,
    ],
    [
      'autoscaling:PutScalingPolicy',
      `arn:aws:autoscaling:${STACK_REGION}:${STACK_ACCOUNT}:autoScalingGroup:u-1:autoScalingGroupName/batch`,
    ],
  ])('denies %s on %s', async (action, resource) => {
    expect(await verdict(action, resource)).toBe('ImplicitlyDenied');
  });

  it('reports a namespace whose resource grant it cannot scope, instead of widening it', () => {
    const issues: string[] = [];
    allocationResources(
      [
        targetSchema.parse({
          id: 'cache',
          resource: {
            kind: 'application-auto-scaling',
            serviceNamespace: 'elasticache',
            resourceId: 'replication-group/r1',
            scalableDimension: 'elasticache:replication-group:Replicas',
          },
          allowedSources: ['x'],
          policy,
        }),
      ],
      (issue) => issues.push(`${issue.path}: ${issue.message}`),
    );
    expect(issues).toEqual([expect.stringMatching(/^targets\[0\]\.resource\.serviceNamespace: .*"elasticache"/)]);
  });
});
