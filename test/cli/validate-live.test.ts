/**
 * `drivetrain validate`: cost at the bounds (worst case and where the budget binds, from the engine's own
 * budgetCapacity), and `--live`: bounds against the resources and the account through the read-only
 * adapters, on the SDK mock — mismatches, missing resources, throttling and access denied.
 */
import {
  type AutoScalingGroup,
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  type DescribeAutoScalingGroupsCommandOutput,
  DescribeLaunchConfigurationsCommand,
  DescribePoliciesCommand,
  DescribeScheduledActionsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { ListResourceRecordSetsCommand, NoSuchHostedZone, Route53Client } from '@aws-sdk/client-route-53';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand as DescribeAasScheduledActionsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeRulesCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeInstanceTypesCommand,
  DescribeLaunchTemplateVersionsCommand,
  EC2Client,
  type ResponseLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { GetServiceQuotaCommand, NoSuchResourceException, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { budgetCapacity } from '../../functions/domain/engine';
import { targetCosts } from '../../cli/commands/validate';
import { checkLive, type LivePorts } from '../../cli/live-check';
import {
  AwsAlbRoutingAdapter,
  AwsApplicationAutoScalingAdapter,
  AwsAutoScalingAdapter,
  AwsLambdaLimitsAdapter,
  AwsWeightedRoutingAdapter,
} from '../../functions/adapters/aws';
import { AwsEc2QuotaAdapter } from '../../functions/adapters/aws/ec2-quota';
import type { DrivetrainConfig } from '../../functions/domain/config';
import type { Target } from '../../functions/domain/model';
import { cli, shippedConfig } from './harness';

const autoScaling = new AutoScalingClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const lambda = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const route53 = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const asgMock = mockClient(autoScaling);
const lambdaMock = mockClient(lambda);
const route53Mock = mockClient(route53);
const ec2 = new EC2Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const serviceQuotas = new ServiceQuotasClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const ec2Mock = mockClient(ec2);
const quotasMock = mockClient(serviceQuotas);
const ec2QuotaAdapter = new AwsEc2QuotaAdapter({ quotas: serviceQuotas, ec2, autoScaling });
const clients = { autoScaling, lambda, route53, ec2, serviceQuotas };

function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

function group(min: number, max: number): Partial<DescribeAutoScalingGroupsCommandOutput> {
  return {
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'web-prod',
        MinSize: min,
        MaxSize: max,
        DesiredCapacity: min,
        DefaultCooldown: 300,
        AvailabilityZones: ['us-east-1a'],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        Instances: [
          {
            InstanceId: 'i-0a1',
            InstanceType: 'm5.large',
            AvailabilityZone: 'us-east-1a',
            LifecycleState: 'InService',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
      },
    ],
  };
}

const weighted = (ids: string[]) => ({
  ResourceRecordSets: ids.map((id, i) => ({
    Name: 'api.example.com.',
    Type: 'CNAME' as const,
    SetIdentifier: id,
    Weight: i === 0 ? 70 : 30,
    TTL: 60,
    ResourceRecords: [{ Value: `${id}.example.com` }],
  })),
  IsTruncated: false,
  MaxItems: 300,
});

/** Every resource of the shipped config exists and has room for its bounds. */
function healthyAccount(): void {
  asgMock.on(DescribeAutoScalingGroupsCommand).resolves(group(2, 40));
  asgMock.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [] });
  asgMock.on(DescribeScheduledActionsCommand).resolves({ ScheduledUpdateGroupActions: [] });
  lambdaMock.on(GetFunctionConcurrencyCommand).resolves({});
  lambdaMock
    .on(GetAccountSettingsCommand)
    .resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 900 } });
  route53Mock.on(ListResourceRecordSetsCommand).resolves(weighted(['us-east-1', 'eu-west-1']));
  quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaCode: 'L-1216C47A', Value: 256 } });
  ec2Mock.on(DescribeInstanceTypesCommand).resolves({
    InstanceTypes: [
      { InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 } },
      { InstanceType: 'm5.2xlarge', VCpuInfo: { DefaultVCpus: 8 } },
    ],
  });
}

beforeEach(() => {
  asgMock.reset();
  lambdaMock.reset();
  route53Mock.reset();
  ec2Mock.reset();
  quotasMock.reset();
});

describe('validate: cost at the bounds', () => {
  it('prints the worst-case hourly cost and the allocation where the budget binds, per priced target', async () => {
    const web = shippedConfig().targets.find((t) => t.id === 'web-asg')!;
    const binds = budgetCapacity(web.policy, web.policy.budget!.maxHourlyCost)!;
    expect(binds).toBe(30); // 2.5 / 0.0832 = 30.04…: the same floor the engine's guardrail applies
    const result = await cli(['validate']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Cost at the bounds');
    expect(result.stdout).toMatch(/^web-asg +0\.0832 +3\.33 +2\.5 +30$/m);
    const json = JSON.parse((await cli(['validate', '--json'])).stdout) as { cost: unknown };
    expect(json.cost).toEqual([
      {
        id: 'web-asg',
        unitHourlyPrice: 0.0832,
        worstCaseHourly: 3.328,
        maxHourlyCost: 2.5,
        budgetBindsAt: 30,
        binds: true,
      },
    ]);
  });

  it('says a budget that bounds.max never reaches never binds', () => {
    const config = shippedConfig();
    const web = config.targets.find((t) => t.id === 'web-asg')!;
    const roomy = {
      ...config,
      targets: [{ ...web, policy: { ...web.policy, budget: { unitHourlyPrice: 0.05, maxHourlyCost: 10 } } }],
    };
    expect(targetCosts(roomy)).toEqual([
      expect.objectContaining({ worstCaseHourly: 2, budgetBindsAt: 200, binds: false }),
    ]);
  });
});

describe('validate --live', () => {
  it('passes when every bound fits what the resources and the account allow', async () => {
    healthyAccount();
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^web-asg +✓ ok +bounds 2\.\.40 within MinSize 2 \/ MaxSize 40; 80 vCPUs at bounds\.max within the On-Demand Standard instances quota of 256 vCPUs \(Service Quotas ec2 L-1216C47A\); no scaling policies or scheduled actions of its own$/m,
    );
    expect(result.stdout).toMatch(/^checkout-fn +✓ ok +bounds\.max 200 within 800 provisionable/m);
    expect(result.stdout).toMatch(
      /^api-routing +✓ ok +api\.example\.com CNAME: every endpoint has its weighted record$/m,
    );
    expect(asgMock).toHaveReceivedCommandWith(DescribeAutoScalingGroupsCommand, {
      AutoScalingGroupNames: ['web-prod'],
    });
    expect(lambdaMock).toHaveReceivedCommandWith(GetFunctionConcurrencyCommand, { FunctionName: 'checkout' });
  });

  it('fails, naming the policy, when bounds.max is above the group MaxSize or the account can never provision it', async () => {
    healthyAccount();
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(group(2, 20));
    lambdaMock
      .on(GetAccountSettingsCommand)
      .resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 250 } });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^web-asg +✗ error +bounds\.max 40 > MinSize 2 \/ MaxSize 20: EC2 Auto Scaling refuses/m,
    );
    expect(result.stdout).toMatch(
      /^checkout-fn +✗ error +bounds\.max 200 > 150 \(unreserved account concurrency 250 of 1000/m,
    );
    expect(result.stdout).toContain('✗ can never be applied as written: web-asg, checkout-fn');
    const json = JSON.parse((await cli(['validate', '--live', '--json'], { clients })).stdout) as {
      ok: boolean;
      live: Array<{ targetId: string; verdict: string }>;
    };
    expect(json.ok).toBe(false);
    expect(json.live.map((f) => [f.targetId, f.verdict])).toEqual([
      ['web-asg', 'error'],
      ['checkout-fn', 'error'],
      ['api-routing', 'ok'],
    ]);
  });

  it('checks bounds.max × vCPUs against the On-Demand Standard quota (Service Quotas L-1216C47A)', async () => {
    healthyAccount();
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaCode: 'L-1216C47A', Value: 64 } });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^web-asg +✗ error +bounds\.max 40 × 2 vCPUs \(m5\.large\) = 80 > the On-Demand Standard instances quota of 64 vCPUs \(Service Quotas ec2 L-1216C47A\): request a quota increase or lower bounds\.max$/m,
    );
    expect(quotasMock).toHaveReceivedCommandWith(GetServiceQuotaCommand, {
      ServiceCode: 'ec2',
      QuotaCode: 'L-1216C47A',
    });
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeInstanceTypesCommand, { InstanceTypes: ['m5.large'] });
  });

  it('reads every page of DescribeInstanceTypes (NextToken), so no type of the group goes unchecked', async () => {
    ec2Mock
      .on(DescribeInstanceTypesCommand)
      .resolvesOnce({ InstanceTypes: [{ InstanceType: 'm5.large', VCpuInfo: { DefaultVCpus: 2 } }], NextToken: 'p2' })
      .resolvesOnce({ InstanceTypes: [{ InstanceType: 'm5.2xlarge', VCpuInfo: { DefaultVCpus: 8 } }] });
    await expect(ec2QuotaAdapter.vcpus(['m5.2xlarge', 'm5.large'])).resolves.toEqual({
      'm5.large': 2,
      'm5.2xlarge': 8,
    });
    expect(ec2Mock).toHaveReceivedNthCommandWith(2, DescribeInstanceTypesCommand, {
      InstanceTypes: ['m5.2xlarge', 'm5.large'],
      NextToken: 'p2',
    });
  });

  it('warns when only the largest type of a mixed group would exceed the quota', async () => {
    healthyAccount();
    const mixed = group(2, 40);
    mixed.AutoScalingGroups![0]!.MixedInstancesPolicy = {
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateName: 'web' },
        Overrides: [{ InstanceType: 'm5.large' }, { InstanceType: 'm5.2xlarge' }],
      },
    };
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(mixed);
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaCode: 'L-1216C47A', Value: 128 } });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(
      /^web-asg +! warning +bounds 2\.\.40 within MinSize 2 \/ MaxSize 40; bounds\.max 40 × 8 vCPUs \(m5\.2xlarge\) = 320 > the On-Demand/m,
    );
  });

  it('skips the quota, saying why, for types another quota counts and when no applied value exists', async () => {
    healthyAccount();
    const gpu = group(2, 40);
    gpu.AutoScalingGroups![0]!.Instances![0]!.InstanceType = 'g5.xlarge';
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(gpu);
    let result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(/^web-asg +✓ ok +.*vCPU quota not checked \(g5\.xlarge: not On-Demand Standard\)/m);
    expect(quotasMock).not.toHaveReceivedCommand(GetServiceQuotaCommand);

    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(group(2, 40));
    quotasMock.on(GetServiceQuotaCommand).rejects(
      new NoSuchResourceException({
        message: 'The request failed because the specified quota does not exist.',
        $metadata: {},
      }),
    );
    result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(
      /^web-asg +✓ ok +.*vCPU quota not checked \(no vCPU count or no applied quota value\)/m,
    );
  });

  it('a denied quota read makes the group unchecked, naming the IAM actions', async () => {
    healthyAccount();
    quotasMock
      .on(GetServiceQuotaCommand)
      .rejects(awsError('AccessDeniedException', 'not authorized to perform servicequotas:GetServiceQuota'));
    const result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(
      /^web-asg +\? unchecked +access denied: the operator needs autoscaling:DescribeAutoScalingGroups, autoscaling:DescribeLaunchConfigurations, autoscaling:DescribePolicies, autoscaling:DescribeScheduledActions, ec2:DescribeLaunchTemplateVersions, ec2:DescribeInstanceTypes, servicequotas:GetServiceQuota /m,
    );
  });

  it('checks provisioned concurrency against the function reservation when it has one', async () => {
    healthyAccount();
    lambdaMock.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 120 });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^checkout-fn +✗ error +bounds\.max 200 > the function's reserved concurrency 120/m);
    expect(lambdaMock).not.toHaveReceivedCommand(GetAccountSettingsCommand);
  });

  it('fails on missing resources: no such group, function, hosted zone or weighted record', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    lambdaMock
      .on(GetFunctionConcurrencyCommand)
      .rejects(new ResourceNotFoundException({ message: 'Function not found: checkout', $metadata: {} }));
    route53Mock.on(ListResourceRecordSetsCommand).resolves(weighted(['us-east-1']));
    let result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^web-asg +✗ error +Auto Scaling group web-prod not found$/m);
    expect(result.stdout).toMatch(/^checkout-fn +✗ error +Lambda function checkout not found$/m);
    expect(result.stdout).toMatch(
      /^api-routing +✗ error +api\.example\.com CNAME in Z\w+ has no weighted record for eu-west-1 \(Route 53 has us-east-1\)$/m,
    );

    route53Mock
      .on(ListResourceRecordSetsCommand)
      .rejects(new NoSuchHostedZone({ message: 'No hosted zone found with ID: Z0123456789ABCDEFGHIJ', $metadata: {} }));
    result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(/^api-routing +✗ error +hosted zone not found: No hosted zone found/m);
  });

  it('says which checks could not run, and why, on access denied and throttling — without failing them', async () => {
    healthyAccount();
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .rejects(awsError('AccessDenied', 'User is not authorized to perform: autoscaling:DescribeAutoScalingGroups'));
    route53Mock.on(ListResourceRecordSetsCommand).rejects(awsError('Throttling', 'Rate exceeded'));
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^web-asg +\? unchecked +access denied: the operator needs autoscaling:DescribeAutoScalingGroups/m,
    );
    expect(result.stdout).toMatch(
      /^api-routing +\? unchecked +throttled by AWS \(Throttling\): not checked; run again/m,
    );
    expect(result.stdout).toMatch(/^checkout-fn +✓ ok/m);
  });

  it('stops once, clearly, without credentials', async () => {
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .rejects(
        Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      );
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no AWS credentials');
  });
});

const aasClient = new ApplicationAutoScalingClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
});
const aasMock = mockClient(aasClient);

describe('validate --live: alb-weighted', () => {
  const elbv2 = new ElasticLoadBalancingV2Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const elbMock = mockClient(elbv2);
  const ruleArn =
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee';
  const tg = (name: string) =>
    `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/73e2d6bc24d8a067`;
  const config = (): DrivetrainConfig => {
    const shipped = shippedConfig();
    const routing = shipped.targets.find((t) => t.id === 'api-routing')!;
    const alb: Target = {
      ...routing,
      id: 'web-alb',
      resource: {
        kind: 'alb-weighted',
        listenerRuleArn: ruleArn,
        targetGroups: [
          { arn: tg('blue'), weight: 80, minShare: 0, drainOn: [] },
          { arn: tg('green'), weight: 20, minShare: 0, drainOn: [] },
        ],
      },
    };
    return { ...shipped, targets: [alb] };
  };
  const forwarding = (names: string[]) => ({
    Rules: [
      {
        RuleArn: ruleArn,
        Actions: [
          {
            Type: 'forward' as const,
            ForwardConfig: { TargetGroups: names.map((n) => ({ TargetGroupArn: tg(n), Weight: 50 })) },
          },
        ],
      },
    ],
  });
  const ports = (): LivePorts => ({
    autoScaling: new AwsAutoScalingAdapter(autoScaling),
    lambda: new AwsLambdaLimitsAdapter(lambda),
    routing: new AwsWeightedRoutingAdapter(route53),
    alb: new AwsAlbRoutingAdapter(elbv2),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(aasClient),
    ec2Quota: ec2QuotaAdapter,
  });
  beforeEach(() => elbMock.reset());

  it('passes when the rule forwards to every configured target group', async () => {
    elbMock.on(DescribeRulesCommand).resolves(forwarding(['blue', 'green']));
    const [finding] = await checkLive(config(), ports());
    expect(finding).toEqual({
      targetId: 'web-alb',
      verdict: 'ok',
      message: 'listener rule forwards to every configured target group',
    });
    expect(elbMock).toHaveReceivedCommandWith(DescribeRulesCommand, { RuleArns: [ruleArn] });
  });

  it('fails, naming the group, when the rule does not forward to a configured target group', async () => {
    elbMock.on(DescribeRulesCommand).resolves(forwarding(['blue']));
    const [finding] = await checkLive(config(), ports());
    expect(finding?.verdict).toBe('error');
    expect(finding?.message).toMatch(/does not forward to green \(it forwards to blue\): ModifyRule would be refused/);
  });

  it('says the check could not run when DescribeRules is denied, naming the action', async () => {
    elbMock.on(DescribeRulesCommand).rejects(awsError('AccessDenied', 'not authorized'));
    const [finding] = await checkLive(config(), ports());
    expect(finding?.verdict).toBe('unchecked');
    expect(finding?.message).toMatch(/elasticloadbalancing:DescribeRules/);
  });
});

describe('validate --live: application-auto-scaling', () => {
  const config = (max: number): DrivetrainConfig => {
    const shipped = shippedConfig();
    const web = shipped.targets.find((t) => t.id === 'web-asg')!;
    const ecs: Target = {
      ...web,
      id: 'orders-ecs',
      resource: {
        kind: 'application-auto-scaling',
        serviceNamespace: 'ecs',
        resourceId: 'service/web/orders',
        scalableDimension: 'ecs:service:DesiredCount',
        manage: 'floor',
      },
      policy: { ...web.policy, bounds: { ...web.policy.bounds, min: 2, max } },
    };
    return { ...shipped, targets: [ecs] };
  };
  const ports = (): LivePorts => ({
    autoScaling: new AwsAutoScalingAdapter(autoScaling),
    lambda: new AwsLambdaLimitsAdapter(lambda),
    routing: new AwsWeightedRoutingAdapter(route53),
    alb: new AwsAlbRoutingAdapter(new ElasticLoadBalancingV2Client({ region: 'us-east-1' })),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(aasClient),
    ec2Quota: ec2QuotaAdapter,
  });
  const registered = {
    ScalableTargets: [
      {
        ServiceNamespace: 'ecs' as const,
        ResourceId: 'service/web/orders',
        ScalableDimension: 'ecs:service:DesiredCount' as const,
        MinCapacity: 2,
        MaxCapacity: 20,
        RoleARN: 'arn:aws:iam::123456789012:role/aas',
        CreationTime: new Date(0),
      },
    ],
  };
  beforeEach(() => {
    aasMock.reset();
    aasMock.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });
    aasMock.on(DescribeAasScheduledActionsCommand).resolves({ ScheduledActions: [] });
  });

  it('passes when bounds.max fits MaxCapacity, and fails naming both when it does not', async () => {
    aasMock.on(DescribeScalableTargetsCommand).resolves(registered);
    await expect(checkLive(config(20), ports())).resolves.toEqual([
      {
        targetId: 'orders-ecs',
        verdict: 'ok',
        message: 'bounds 2..20 within MinCapacity 2 / MaxCapacity 20; Drivetrain owns the floor only',
      },
    ]);
    const [over] = await checkLive(config(40), ports());
    expect(over).toMatchObject({
      verdict: 'error',
      message: expect.stringMatching(/bounds\.max 40 > MinCapacity 2 \/ MaxCapacity 20/),
    });
  });

  it('fails on a scalable target that is not registered', async () => {
    aasMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
    const [finding] = await checkLive(config(20), ports());
    expect(finding).toMatchObject({ verdict: 'error', message: expect.stringMatching(/not registered/) });
  });
});

describe("validate --live: coexistence with the group's own scaling", () => {
  beforeEach(() => healthyAccount());

  it('refuses a desired-managed group with scaling policies of its own, naming them and the way out', async () => {
    asgMock.on(DescribePoliciesCommand).resolves({
      ScalingPolicies: [{ PolicyName: 'cpu50-target-tracking', PolicyType: 'TargetTrackingScaling' }],
    });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^web-asg +✗ error +.*own scaling policies \(cpu50-target-tracking\) also set DesiredCapacity.*manage: floor/m,
    );
    expect(asgMock).toHaveReceivedCommandWith(DescribePoliciesCommand, { AutoScalingGroupName: 'web-prod' });
  });

  it('warns about scheduled actions of a desired-managed group', async () => {
    asgMock.on(DescribeScheduledActionsCommand).resolves({
      ScheduledUpdateGroupActions: [{ ScheduledActionName: 'nightly-scale-in' }],
    });
    const result = await cli(['validate', '--live'], { clients });
    expect(result.stdout).toMatch(/^web-asg +! warning +.*scheduled actions \(nightly-scale-in\)/m);
  });

  it('a floor-managed group keeps its own policies: ok, saying which policy owns the capacity', async () => {
    asgMock.on(DescribePoliciesCommand).resolves({ ScalingPolicies: [{ PolicyName: 'cpu50-target-tracking' }] });
    const config = shippedConfig();
    const web = config.targets.find((t) => t.id === 'web-asg')!;
    const floorWeb: Target = {
      ...web,
      resource: { kind: 'ec2-asg', autoScalingGroupName: 'web-prod', manage: 'floor' },
    };
    const [finding] = await checkLive(
      { ...config, targets: [floorWeb] },
      {
        autoScaling: new AwsAutoScalingAdapter(autoScaling),
        lambda: new AwsLambdaLimitsAdapter(lambda),
        routing: new AwsWeightedRoutingAdapter(route53),
        alb: new AwsAlbRoutingAdapter(new ElasticLoadBalancingV2Client({ region: 'us-east-1' })),
        applicationAutoScaling: new AwsApplicationAutoScalingAdapter(aasClient),
        ec2Quota: ec2QuotaAdapter,
      },
    );
    expect(finding).toMatchObject({
      verdict: 'ok',
      message: expect.stringMatching(
        /Drivetrain owns the floor only, cpu50-target-tracking keep the current capacity$/,
      ),
    });
  });
});

describe('validate --live: the vCPU quota from what the group launches', () => {
  const VCPUS: Record<string, number> = {
    'm5.large': 2,
    'm5.xlarge': 4,
    'm5.2xlarge': 8,
    'c5.large': 2,
    'm6g.2xlarge': 8,
    'g5.xlarge': 4,
  };
  const TEMPLATE_ID = 'lt-0a1b2c3d4e5f67890';
  const QUOTA = (limit: number) =>
    `the On-Demand Standard instances quota of ${limit} vCPUs \\(Service Quotas ec2 L-1216C47A\\)`;
  /** What DescribeLaunchTemplateVersions says of attribute-based selection being only a guess at the quota. */
  const ASSUMED =
    /attribute-based instance selection \(InstanceRequirements\) does not say which families launch: counted against the On-Demand Standard quota/;

  /** web-prod as DescribeAutoScalingGroups returns it, scaled to 0 (no instances), with these fields. */
  const scaledToZero = (fields: Partial<AutoScalingGroup>): Partial<DescribeAutoScalingGroupsCommandOutput> => {
    const base = group(2, 40).AutoScalingGroups![0]!;
    return { AutoScalingGroups: [{ ...base, DesiredCapacity: 0, Instances: [], ...fields }] };
  };
  const mixed = (
    overrides: NonNullable<NonNullable<AutoScalingGroup['MixedInstancesPolicy']>['LaunchTemplate']>['Overrides'],
  ): Partial<AutoScalingGroup> => ({
    MixedInstancesPolicy: {
      LaunchTemplate: {
        LaunchTemplateSpecification: { LaunchTemplateId: TEMPLATE_ID, LaunchTemplateName: 'web', Version: '$Default' },
        ...(overrides ? { Overrides: overrides } : {}),
      },
      InstancesDistribution: {
        OnDemandAllocationStrategy: 'prioritized',
        OnDemandBaseCapacity: 0,
        OnDemandPercentageAboveBaseCapacity: 100,
        SpotAllocationStrategy: 'price-capacity-optimized',
      },
    },
  });
  /** Launch template data by template id or name, answered the way DescribeLaunchTemplateVersions does. */
  const templates = (byKey: Record<string, ResponseLaunchTemplateData>) =>
    ec2Mock.on(DescribeLaunchTemplateVersionsCommand).callsFake((input) => {
      const key = input.LaunchTemplateId ?? input.LaunchTemplateName;
      const data = byKey[key];
      if (!data)
        throw awsError(
          'InvalidLaunchTemplateId.NotFound',
          `The specified launch template, with template ID ${key}, does not exist.`,
        );
      return {
        LaunchTemplateVersions: [
          {
            LaunchTemplateId: key.startsWith('lt-') ? key : TEMPLATE_ID,
            LaunchTemplateName: key.startsWith('lt-') ? 'web' : key,
            VersionNumber: 3,
            DefaultVersion: true,
            CreateTime: new Date(0),
            LaunchTemplateData: data,
          },
        ],
      };
    });
  const requirements = (vcpus: { Min: number; Max?: number }) => ({
    VCpuCount: vcpus,
    MemoryMiB: { Min: 4096 },
  });

  const config = (): DrivetrainConfig => {
    const shipped = shippedConfig();
    return { ...shipped, targets: shipped.targets.filter((t) => t.id === 'web-asg') };
  };
  const ports = (): LivePorts => ({
    autoScaling: new AwsAutoScalingAdapter(autoScaling),
    lambda: new AwsLambdaLimitsAdapter(lambda),
    routing: new AwsWeightedRoutingAdapter(route53),
    alb: new AwsAlbRoutingAdapter(new ElasticLoadBalancingV2Client({ region: 'us-east-1' })),
    applicationAutoScaling: new AwsApplicationAutoScalingAdapter(aasClient),
    ec2Quota: ec2QuotaAdapter,
  });
  const check = async (quota: number) => {
    quotasMock.on(GetServiceQuotaCommand).resolves({ Quota: { QuotaCode: 'L-1216C47A', Value: quota } });
    const [finding] = await checkLive(config(), ports());
    return finding!;
  };

  beforeEach(() => {
    healthyAccount();
    ec2Mock.on(DescribeInstanceTypesCommand).callsFake((input: { InstanceTypes?: string[] }) => ({
      InstanceTypes: (input.InstanceTypes ?? [])
        .filter((t) => VCPUS[t] !== undefined)
        .map((t) => ({ InstanceType: t, VCpuInfo: { DefaultVCpus: VCPUS[t] } })),
    }));
    templates({ [TEMPLATE_ID]: { InstanceType: 'm5.xlarge', ImageId: 'ami-0abcdef1234567890' } });
  });

  it.each<{
    case: string;
    group: Partial<AutoScalingGroup>;
    templates?: Record<string, ResponseLaunchTemplateData>;
    quota: number;
    verdict: string;
    message: RegExp;
  }>([
    {
      case: 'a plain launch template, by id at $Latest, of a group with no instances',
      group: { LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID, LaunchTemplateName: 'web', Version: '$Latest' } },
      quota: 256,
      verdict: 'ok',
      message: new RegExp(`; 160 vCPUs at bounds\\.max within ${QUOTA(256)};`),
    },
    {
      case: 'a launch template by name, without a version (its $Default)',
      group: { LaunchTemplate: { LaunchTemplateName: 'web' } },
      templates: { web: { InstanceType: 'm5.xlarge' } },
      quota: 128,
      verdict: 'error',
      message: new RegExp(
        `^bounds\\.max 40 × 4 vCPUs \\(m5\\.xlarge\\) = 160 > ${QUOTA(128)}: request a quota increase`,
      ),
    },
    {
      case: 'a mixed-instances policy without overrides: the type of its launch template',
      group: mixed(undefined),
      quota: 256,
      verdict: 'ok',
      message: /; 160 vCPUs at bounds\.max within/,
    },
    {
      case: 'an override with a launch template of its own and no type: the type of that template',
      group: mixed([{ InstanceType: 'm5.large' }, { LaunchTemplateSpecification: { LaunchTemplateName: 'web-arm' } }]),
      templates: { [TEMPLATE_ID]: { InstanceType: 'm5.xlarge' }, 'web-arm': { InstanceType: 'm6g.2xlarge' } },
      quota: 256,
      verdict: 'warning',
      message: new RegExp(`bounds\\.max 40 × 8 vCPUs \\(m6g\\.2xlarge\\) = 320 > ${QUOTA(256)}; it fits only if`),
    },
    {
      case: 'weights that divide bounds.max: capacity units, not instances',
      group: {
        ...mixed([
          { InstanceType: 'm5.large', WeightedCapacity: '2' },
          { InstanceType: 'm5.2xlarge', WeightedCapacity: '8' },
        ]),
        DesiredCapacityType: 'units',
      },
      quota: 64,
      verdict: 'ok',
      message: new RegExp(`; 40 vCPUs at bounds\\.max within ${QUOTA(64)};`),
    },
    {
      case: 'a weight that does not divide bounds.max: whole instances, rounded up',
      group: mixed([
        { InstanceType: 'm5.large', WeightedCapacity: '1' },
        { InstanceType: 'm5.2xlarge', WeightedCapacity: '3' },
      ]),
      quota: 100,
      verdict: 'warning',
      message: new RegExp(
        `; ceil\\(bounds\\.max 40 / weight 3\\) = 14 × 8 vCPUs \\(m5\\.2xlarge\\) = 112 > ${QUOTA(100)}; it fits only if smaller types launch`,
      ),
    },
    {
      case: "a running instance's WeightedCapacity",
      group: {
        ...mixed([{ InstanceType: 'm5.2xlarge', WeightedCapacity: '8' }]),
        Instances: [
          {
            InstanceId: 'i-0a1',
            InstanceType: 'm5.2xlarge',
            WeightedCapacity: '8',
            AvailabilityZone: 'us-east-1a',
            LifecycleState: 'InService',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
      },
      quota: 64,
      verdict: 'ok',
      message: /; 40 vCPUs at bounds\.max within/,
    },
    {
      case: 'DesiredCapacityType vcpu: bounds.max is already vCPUs',
      group: { ...mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 8 }) }]), DesiredCapacityType: 'vcpu' },
      quota: 32,
      verdict: 'error',
      message: new RegExp(
        `^bounds\\.max 40 vCPUs \\(the group counts capacity in vCPUs\\) > ${QUOTA(32)}: request a quota increase or lower bounds\\.max; ${ASSUMED.source}`,
      ),
    },
    {
      case: 'DesiredCapacityType vcpu within the quota',
      group: { ...mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 8 }) }]), DesiredCapacityType: 'vcpu' },
      quota: 256,
      verdict: 'ok',
      message: new RegExp(`; 40 vCPUs at bounds\\.max within ${QUOTA(256)}; ${ASSUMED.source}`),
    },
    {
      case: 'DesiredCapacityType memory-mib: not a vCPU count at all',
      group: {
        ...mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 8 }) }]),
        DesiredCapacityType: 'memory-mib',
      },
      quota: 1,
      verdict: 'ok',
      message: /; vCPU quota not checked: the group counts capacity in memory-mib \(bounds\.max is MiB of memory\);/,
    },
    {
      case: 'instance requirements whose smallest instances already exceed the quota',
      group: mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 16 }) }]),
      quota: 64,
      verdict: 'error',
      message: new RegExp(
        `^bounds\\.max 40 × 2 vCPUs \\(VCpuCount\\.Min\\) = 80 > ${QUOTA(64)}: request a quota increase or lower bounds\\.max; ${ASSUMED.source}`,
      ),
    },
    {
      case: 'instance requirements whose largest instances exceed the quota',
      group: mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 16 }) }]),
      quota: 256,
      verdict: 'warning',
      message: new RegExp(`; bounds\\.max 40 × 16 vCPUs \\(VCpuCount\\.Max\\) = 640 > ${QUOTA(256)}; it fits only if`),
    },
    {
      case: 'instance requirements within the quota at their largest',
      group: mixed([{ InstanceRequirements: requirements({ Min: 2, Max: 16 }) }]),
      quota: 1024,
      verdict: 'ok',
      message: new RegExp(`; 640 vCPUs at bounds\\.max within ${QUOTA(1024)}; ${ASSUMED.source}`),
    },
    {
      case: 'instance requirements without a vCPU maximum, smallest above the quota',
      group: mixed([{ InstanceRequirements: requirements({ Min: 4 }) }]),
      quota: 128,
      verdict: 'error',
      message: /^bounds\.max 40 × 4 vCPUs \(VCpuCount\.Min\) = 160 > the On-Demand/,
    },
    {
      case: 'instance requirements without a vCPU maximum: never an ok that claims the largest fits',
      group: mixed([{ InstanceRequirements: requirements({ Min: 4 }) }]),
      quota: 256,
      verdict: 'ok',
      message: new RegExp(
        `; 160 vCPUs at bounds\\.max with the smallest instances within ${QUOTA(256)}, but VCpuCount has no Max: it fits only while instances have at most 6 vCPUs; ${ASSUMED.source}`,
      ),
    },
    {
      case: 'instance requirements without a vCPU maximum, and a running type above the quota',
      group: {
        ...mixed([{ InstanceRequirements: requirements({ Min: 2 }) }]),
        Instances: [
          {
            InstanceId: 'i-0a1',
            InstanceType: 'm5.2xlarge',
            AvailabilityZone: 'us-east-1a',
            LifecycleState: 'InService',
            HealthStatus: 'Healthy',
            ProtectedFromScaleIn: false,
          },
        ],
      },
      quota: 256,
      verdict: 'warning',
      message: new RegExp(`; bounds\\.max 40 × 8 vCPUs \\(m5\\.2xlarge\\) = 320 > ${QUOTA(256)}; it fits only if`),
    },
    {
      case: 'instance requirements in the launch template data',
      group: { LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID, Version: '3' } },
      templates: { [TEMPLATE_ID]: { InstanceRequirements: requirements({ Min: 2, Max: 4 }) } },
      quota: 256,
      verdict: 'ok',
      message: new RegExp(`; 160 vCPUs at bounds\\.max within ${QUOTA(256)}; ${ASSUMED.source}`),
    },
  ])('$case', async (row) => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(scaledToZero(row.group));
    if (row.templates) templates(row.templates);
    const finding = await check(row.quota);
    expect(finding).toMatchObject({ targetId: 'web-asg', verdict: row.verdict });
    expect(finding.message).toMatch(row.message);
  });

  it('asks for the version the group uses: by id or by name, $Default when it names none', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(
      scaledToZero({
        LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID, LaunchTemplateName: 'web', Version: '$Latest' },
      }),
    );
    await check(256);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeLaunchTemplateVersionsCommand, {
      LaunchTemplateId: TEMPLATE_ID,
      Versions: ['$Latest'],
    });
    expect(ec2Mock.commandCalls(DescribeLaunchTemplateVersionsCommand)[0]!.args[0].input).not.toHaveProperty(
      'LaunchTemplateName',
    );

    ec2Mock.resetHistory();
    templates({ web: { InstanceType: 'm5.xlarge' } });
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(scaledToZero({ LaunchTemplate: { LaunchTemplateName: 'web' } }));
    await check(256);
    expect(ec2Mock).toHaveReceivedCommandWith(DescribeLaunchTemplateVersionsCommand, {
      LaunchTemplateName: 'web',
      Versions: ['$Default'],
    });
  });

  it('takes the type of a launch configuration', async () => {
    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(scaledToZero({ LaunchConfigurationName: 'web-lc-2024' }));
    asgMock.on(DescribeLaunchConfigurationsCommand).resolves({
      LaunchConfigurations: [
        {
          LaunchConfigurationName: 'web-lc-2024',
          LaunchConfigurationARN:
            'arn:aws:autoscaling:us-east-1:123456789012:launchConfiguration:6d4a7e9c-1b2f-4c3d-8e5a-0f1e2d3c4b5a:launchConfigurationName/web-lc-2024',
          ImageId: 'ami-0abcdef1234567890',
          InstanceType: 'c5.large',
          SecurityGroups: ['sg-0123456789abcdef0'],
          CreatedTime: new Date(0),
        },
      ],
    });
    const finding = await check(64);
    expect(finding).toMatchObject({ verdict: 'error' });
    expect(finding.message).toMatch(new RegExp(`^bounds\\.max 40 × 2 vCPUs \\(c5\\.large\\) = 80 > ${QUOTA(64)}`));
    expect(asgMock).toHaveReceivedCommandWith(DescribeLaunchConfigurationsCommand, {
      LaunchConfigurationNames: ['web-lc-2024'],
    });
    expect(ec2Mock).not.toHaveReceivedCommand(DescribeLaunchTemplateVersionsCommand);
  });

  it('skips the quota for a template of a type another quota counts, without reading it', async () => {
    templates({ [TEMPLATE_ID]: { InstanceType: 'g5.xlarge' } });
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(scaledToZero({ LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID } }));
    const finding = await check(1);
    expect(finding).toMatchObject({ verdict: 'ok' });
    expect(finding.message).toMatch(/vCPU quota not checked \(g5\.xlarge: not On-Demand Standard\)/);
    expect(quotasMock).not.toHaveReceivedCommand(GetServiceQuotaCommand);
  });

  it('a group whose launch template or launch configuration is gone can launch nothing: an error naming it', async () => {
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(scaledToZero({ LaunchTemplate: { LaunchTemplateId: 'lt-0fffffffffffffff0', Version: '7' } }));
    let finding = await check(256);
    expect(finding).toMatchObject({ verdict: 'error' });
    expect(finding.message).toMatch(
      /^Auto Scaling group web-prod launches from launch template lt-0fffffffffffffff0 version 7, which does not exist: it cannot launch instances/,
    );

    asgMock.on(DescribeAutoScalingGroupsCommand).resolves(scaledToZero({ LaunchConfigurationName: 'web-lc-old' }));
    asgMock.on(DescribeLaunchConfigurationsCommand).resolves({ LaunchConfigurations: [] });
    finding = await check(256);
    expect(finding).toMatchObject({ verdict: 'error' });
    expect(finding.message).toMatch(/launch configuration web-lc-old, which does not exist/);
  });

  it('a denied launch template read makes the group unchecked, naming the action', async () => {
    asgMock
      .on(DescribeAutoScalingGroupsCommand)
      .resolves(scaledToZero({ LaunchTemplate: { LaunchTemplateId: TEMPLATE_ID } }));
    ec2Mock
      .on(DescribeLaunchTemplateVersionsCommand)
      .rejects(
        awsError(
          'UnauthorizedOperation',
          'You are not authorized to perform this operation. User: arn:aws:iam::123456789012:user/ops is not authorized to perform: ec2:DescribeLaunchTemplateVersions',
        ),
      );
    const finding = await check(256);
    expect(finding).toMatchObject({ verdict: 'unchecked' });
    expect(finding.message).toMatch(/^access denied: the operator needs .*ec2:DescribeLaunchTemplateVersions/);
  });
});

describe('validate --help', () => {
  // Every read the checks above send (one per mocked command), as an IAM action an operator can paste
  // into a policy: a missing one would surface only as `? unchecked` on the day it is needed.
  it.each([
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeLaunchConfigurations',
    'autoscaling:DescribePolicies',
    'autoscaling:DescribeScheduledActions',
    'servicequotas:GetServiceQuota',
    'ec2:DescribeInstanceTypes',
    'ec2:DescribeLaunchTemplateVersions',
    'lambda:GetAccountSettings',
    'lambda:GetFunctionConcurrency',
    'route53:ListResourceRecordSets',
    'elasticloadbalancing:DescribeRules',
    'application-autoscaling:DescribeScalableTargets',
    'application-autoscaling:DescribeScalingPolicies',
    'application-autoscaling:DescribeScheduledActions',
  ])('names %s among the read-only IAM --live needs', async (action) => {
    const help = await cli(['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(action);
  });
});
