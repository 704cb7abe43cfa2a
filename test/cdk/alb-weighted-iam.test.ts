/**
 * IAM of the alb-weighted kind, from the synthesized stack: the allocation policy lets the executors read
 * listener rules (DescribeRules has no resource type, so "*") and modify exactly the configured rule, and
 * nothing else of ELB — evaluated by the offline IAM simulator, and passed by cdk-nag.
 */
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { DrivetrainConfigInput } from '../../functions/domain/config';
import { allocationResources } from '../../lib/resource-arns';
import { identityVerdict, resolveIntrinsics, STACK_ACCOUNT, STACK_REGION } from '../support/iam-simulator';
import { appWithoutBundling, fixtureConfig, resourcesOf, synthStack } from './support';
import { DrivetrainStack } from '../../lib/drivetrain-stack';

const RULE = `arn:aws:elasticloadbalancing:${STACK_REGION}:${STACK_ACCOUNT}:listener-rule/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const OTHER_RULE = `arn:aws:elasticloadbalancing:${STACK_REGION}:${STACK_ACCOUNT}:listener-rule/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2/1111111111111111`;
const LISTENER = `arn:aws:elasticloadbalancing:${STACK_REGION}:${STACK_ACCOUNT}:listener/app/web-prod/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const tg = (name: string, id: string) =>
  `arn:aws:elasticloadbalancing:${STACK_REGION}:${STACK_ACCOUNT}:targetgroup/${name}/${id}`;

function configWithAlb(): DrivetrainConfigInput {
  const config = fixtureConfig() as DrivetrainConfigInput;
  return {
    ...config,
    drivers: [
      ...(config.drivers ?? []),
      { name: 'blue-5xx', kind: 'alarm', alarmNames: ['web-blue-5xx'], targets: ['web-alb'] },
    ],
    targets: [
      ...config.targets,
      {
        id: 'web-alb',
        resource: {
          kind: 'alb-weighted',
          listenerRuleArn: RULE,
          targetGroups: [
            { arn: tg('blue', '6d0ecf831eec9f09'), weight: 90, drainOn: ['blue-5xx'] },
            { arn: tg('green', '943f017f100becff'), weight: 10 },
          ],
        },
        allowedSources: ['aws.cloudwatch'],
        policy: { version: 'alb-1', bounds: { min: 0, max: 255 }, fallback: { allocation: 0 } },
      },
    ],
  };
}

const { template } = synthStack({ config: configWithAlb() });
const policies = Object.values(resourcesOf(template, 'AWS::IAM::ManagedPolicy'));
const allocation = policies.find((p) =>
  JSON.stringify(p.Properties.PolicyDocument).includes('elasticloadbalancing:ModifyRule'),
);
const identityPolicy = resolveIntrinsics(allocation?.Properties.PolicyDocument);

const verdict = identityVerdict(identityPolicy);

describe('alb-weighted IAM (IAM simulator on the synthesized allocation policy)', () => {
  it('grants ELB in one shared allocation policy', () => {
    expect(allocation).toBeDefined();
  });

  it('may read listener rules (DescribeRules has no resource type)', async () => {
    await expect(verdict('elasticloadbalancing:DescribeRules', '*')).resolves.toBe('Allowed');
  });

  it('may modify the configured listener rule', async () => {
    await expect(verdict('elasticloadbalancing:ModifyRule', RULE)).resolves.toBe('Allowed');
  });

  it.each([
    ['ModifyRule', OTHER_RULE],
    ['DeleteRule', RULE],
    ['CreateRule', LISTENER],
    ['ModifyListener', LISTENER],
    ['ModifyTargetGroup', tg('blue', '6d0ecf831eec9f09')],
    ['DeregisterTargets', tg('blue', '6d0ecf831eec9f09')],
  ])('may not %s %s', async (action, resource) => {
    await expect(verdict(`elasticloadbalancing:${action}`, resource)).resolves.not.toBe('Allowed');
  });

  it('collects the rule once per configured target, and refuses a rule in another account', () => {
    const issues: string[] = [];
    const input = configWithAlb();
    const foreign = RULE.replace(STACK_ACCOUNT, '444455556666');
    const targets = [
      ...fixtureConfig().targets,
      {
        ...(input.targets.at(-1) as object),
        id: 'foreign-alb',
        resource: { kind: 'alb-weighted', listenerRuleArn: foreign, targetGroups: [] },
      },
    ] as never;
    const resources = allocationResources(targets, (issue) => issues.push(`${issue.path}: ${issue.message}`), {
      account: STACK_ACCOUNT,
      region: STACK_REGION,
    });
    expect(resources.albListenerRules).toEqual([]);
    expect(issues).toEqual([
      expect.stringMatching(/^targets\[3\]\.resource\.listenerRuleArn: .* account 444455556666/),
    ]);
  });

  it('passes cdk-nag with every wildcard acknowledged', () => {
    const app = appWithoutBundling();
    new DrivetrainStack(app, 'NagAlb', { config: configWithAlb() });
    const report = new AwsSolutionsChecks().validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
