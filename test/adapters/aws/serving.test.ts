/**
 * The follow-through's observeServing on the real AWS adapters, with the SDK mocked at the client boundary:
 * Auto Scaling instances InService and failed scaling activities, provisioned concurrency READY/FAILED,
 * throttling retried, a resource that vanished.
 */
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-auto-scaling';
import { GetProvisionedConcurrencyConfigCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  NoSuchChange,
  Route53Client,
} from '@aws-sdk/client-route-53';
import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand } from '@aws-sdk/client-application-auto-scaling';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  AwsApplicationAutoScalingAdapter,
  AwsAutoScalingAdapter,
  AwsProvisionedConcurrencyAdapter,
  AwsWeightedRoutingAdapter,
} from '../../../functions/adapters/aws';
import { createExecutors } from '../../../functions/executors';
import { TokenBucketLimiter } from '../../../functions/executors/rate-limiter';
import type { Following } from '../../../functions/ports';
import {
  asgTarget,
  FakeClock,
  instantRetry,
  lambdaTarget,
  routingTarget,
  scalableTarget,
} from '../../unit/executors/fakes';
import { sdkErrors } from '../../unit/executors/sdk-errors';

const APPLIED_AT = 1_764_230_400; // 2025-11-27T08:00:00Z
const following = (desired: number): Following => ({
  decisionId: 'x:2',
  decisionKey: 'k',
  appliedAt: APPLIED_AT,
  desired: { kind: 'capacity', desired, floor: 0 },
  scaleOut: true,
});

const instance = (id: string, state: 'InService' | 'Pending') => ({
  InstanceId: id,
  AvailabilityZone: 'us-east-1a',
  LifecycleState: state,
  HealthStatus: 'Healthy',
  ProtectedFromScaleIn: false,
});

const group = (inService: number, pending: number) => ({
  AutoScalingGroups: [
    {
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: inService + pending,
      MinSize: 2,
      MaxSize: 40,
      DefaultCooldown: 300,
      AvailabilityZones: ['us-east-1a'],
      HealthCheckType: 'EC2',
      CreatedTime: new Date('2026-11-01T08:00:00Z'),
      Instances: [
        ...Array.from({ length: inService }, (_, i) => instance(`i-${i}`, 'InService')),
        ...Array.from({ length: pending }, (_, i) => instance(`i-p${i}`, 'Pending')),
      ],
    },
  ],
});

describe('observeServing over the AWS SDK adapters', () => {
  const autoScalingMock = mockClient(AutoScalingClient);
  const lambdaMock = mockClient(LambdaClient);
  const clients = [
    new AutoScalingClient({ region: 'us-east-1' }),
    new LambdaClient({ region: 'us-east-1' }),
    new Route53Client({ region: 'us-east-1' }),
    new ApplicationAutoScalingClient({ region: 'us-east-1' }),
  ] as const;
  const aasMock = mockClient(ApplicationAutoScalingClient);
  const route53Mock = mockClient(Route53Client);
  let executors: ReturnType<typeof createExecutors>;

  beforeEach(() => {
    autoScalingMock.reset();
    lambdaMock.reset();
    route53Mock.reset();
    const clock = new FakeClock(0);
    executors = createExecutors(
      {
        autoScaling: new AwsAutoScalingAdapter(clients[0]),
        provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(clients[1]),
        weightedRouting: new AwsWeightedRoutingAdapter(clients[2]),
        applicationAutoScaling: new AwsApplicationAutoScalingAdapter(clients[3]),
      },
      { retry: instantRetry(clock), route53Limiter: new TokenBucketLimiter({ ratePerSecond: 5, burst: 1, clock }) },
    );
  });
  afterAll(() => {
    for (const c of clients) c.destroy();
  });

  const asg = () => executors['ec2-asg'];
  const lambda = () => executors['lambda-provisioned-concurrency'];
  const aas = () => executors['application-auto-scaling'];

  describe('application-auto-scaling (floor-managed)', () => {
    const registered = (min: number) => ({
      ScalableTargets: [
        {
          ServiceNamespace: 'ecs' as const,
          ResourceId: 'service/web/orders',
          ScalableDimension: 'ecs:service:DesiredCount' as const,
          MinCapacity: min,
          MaxCapacity: 40,
          RoleARN: 'arn:aws:iam::123456789012:role/aas',
          CreationTime: new Date(0),
        },
      ],
    });
    const floorOf = (floor: number): Following => ({
      ...following(floor),
      desired: { kind: 'capacity', desired: floor, floor },
    });
    beforeEach(() => aasMock.reset());

    test('the registered floor in place settles, without a time to serve (AAS reports no running capacity)', async () => {
      aasMock.on(DescribeScalableTargetsCommand).resolves(registered(12));
      await expect(aas().observeServing(scalableTarget(), floorOf(12))).resolves.toEqual({
        state: 'serving',
        detail: "MinCapacity 12 registered (the service's running capacity is not read)",
        timeToServeUnknown: true,
      });
    });

    test('a floor not registered yet is in progress; a deregistered target fails', async () => {
      aasMock.on(DescribeScalableTargetsCommand).resolves(registered(4));
      await expect(aas().observeServing(scalableTarget(), floorOf(12))).resolves.toEqual({
        state: 'in-progress',
        detail: 'MinCapacity 4 of 12',
      });
      aasMock.on(DescribeScalableTargetsCommand).resolves({ ScalableTargets: [] });
      await expect(aas().observeServing(scalableTarget(), floorOf(12))).resolves.toMatchObject({
        state: 'failed',
        cause: expect.stringContaining('no longer registered'),
      });
    });
  });

  test('a group with the planned instances InService serves, in one call (no activity read)', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(group(12, 0));
    await expect(asg().observeServing(asgTarget(), following(12))).resolves.toEqual({
      state: 'serving',
      detail: '12 of 12 instances InService',
      serving: 12,
    });
    expect(autoScalingMock).not.toHaveReceivedCommand(DescribeScalingActivitiesCommand);
  });

  test('instances still Pending with no failed activity: in progress', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(group(8, 4));
    autoScalingMock.on(DescribeScalingActivitiesCommand).resolves({
      Activities: [
        {
          ActivityId: 'a1',
          AutoScalingGroupName: 'web-prod',
          Cause: 'set desired',
          StartTime: new Date((APPLIED_AT + 5) * 1000),
          StatusCode: 'InProgress',
        },
      ],
    });
    await expect(asg().observeServing(asgTarget(), following(12))).resolves.toEqual({
      state: 'in-progress',
      detail: '8 of 12 instances InService',
      serving: 8,
    });
  });

  test('a failed launch since the apply degrades it with the StatusMessage; older failures do not count', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves(group(8, 4));
    autoScalingMock.on(DescribeScalingActivitiesCommand).resolves({
      Activities: [
        {
          ActivityId: 'a2',
          AutoScalingGroupName: 'web-prod',
          Cause: 'launching',
          StartTime: new Date((APPLIED_AT + 30) * 1000),
          StatusCode: 'Failed',
          StatusMessage:
            'We currently do not have sufficient m5.large capacity in the Availability Zone you requested.',
        },
        {
          ActivityId: 'a0',
          AutoScalingGroupName: 'web-prod',
          Cause: 'old',
          StartTime: new Date((APPLIED_AT - 3600) * 1000),
          StatusCode: 'Failed',
          StatusMessage: 'an old failure',
        },
      ],
    });
    await expect(asg().observeServing(asgTarget(), following(12))).resolves.toEqual({
      state: 'failed',
      cause:
        'launch failed (8 of 12 instances InService): We currently do not have sufficient m5.large capacity in the Availability Zone you requested.',
      serving: 8,
    });
    expect(autoScalingMock).toHaveReceivedCommandWith(DescribeScalingActivitiesCommand, {
      AutoScalingGroupName: 'web-prod',
    });
  });

  test('throttling is retried like every other read', async () => {
    autoScalingMock
      .on(DescribeAutoScalingGroupsCommand)
      .rejectsOnce(sdkErrors.autoScalingThrottling())
      .resolves(group(4, 0));
    await expect(asg().observeServing(asgTarget(), following(4))).resolves.toMatchObject({ state: 'serving' });
    expect(autoScalingMock).toHaveReceivedCommandTimes(DescribeAutoScalingGroupsCommand, 2);
  });

  test('a group that vanished since the apply is a failure with that cause', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
    await expect(asg().observeServing(asgTarget(), following(4))).resolves.toEqual({
      state: 'failed',
      cause: 'Auto Scaling group web-prod not found (deleted since the apply?)',
    });
  });

  test('provisioned concurrency: READY with the units allocated serves, IN_PROGRESS waits, FAILED says why', async () => {
    lambdaMock
      .on(GetProvisionedConcurrencyConfigCommand)
      .resolvesOnce({
        RequestedProvisionedConcurrentExecutions: 50,
        AllocatedProvisionedConcurrentExecutions: 20,
        Status: 'IN_PROGRESS',
      })
      .resolvesOnce({
        RequestedProvisionedConcurrentExecutions: 50,
        AllocatedProvisionedConcurrentExecutions: 50,
        Status: 'READY',
      })
      .resolvesOnce({
        RequestedProvisionedConcurrentExecutions: 50,
        AllocatedProvisionedConcurrentExecutions: 0,
        Status: 'FAILED',
        StatusReason: 'FUNCTION_ERROR_INIT_FAILURE',
      });
    await expect(lambda().observeServing(lambdaTarget(), following(50))).resolves.toEqual({
      state: 'in-progress',
      detail: '20 of 50 provisioned executions allocated (IN_PROGRESS)',
      serving: 20,
    });
    await expect(lambda().observeServing(lambdaTarget(), following(50))).resolves.toMatchObject({
      state: 'serving',
      serving: 50,
    });
    await expect(lambda().observeServing(lambdaTarget(), following(50))).resolves.toEqual({
      state: 'failed',
      cause: 'provisioned concurrency FAILED: FUNCTION_ERROR_INIT_FAILURE',
    });
  });

  test('provisioned concurrency removed since the apply is a failure; a planned 0 with no config serves', async () => {
    lambdaMock.on(GetProvisionedConcurrencyConfigCommand).rejects(
      Object.assign(new Error('No Provisioned Concurrency Config found for this function'), {
        name: 'ProvisionedConcurrencyConfigNotFoundException',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    await expect(lambda().observeServing(lambdaTarget(), following(50))).resolves.toMatchObject({ state: 'failed' });
    await expect(lambda().observeServing(lambdaTarget(), following(0))).resolves.toMatchObject({ state: 'serving' });
  });

  describe('route53-weighted: the change is followed to INSYNC (GetChange)', () => {
    const routing = () => executors['route53-weighted'];
    const records = (weights: Record<string, number>) => ({
      IsTruncated: false,
      ResourceRecordSets: Object.entries(weights).map(([id, weight]) => ({
        Name: 'api.example.com.',
        Type: 'CNAME' as const,
        SetIdentifier: id,
        Weight: weight,
        TTL: 60,
        ResourceRecords: [{ Value: `${id}.example.com` }],
      })),
    });
    const planned = { 'us-east-1': 40, 'eu-west-1': 60 };
    const followingChange = (changeIds?: string[]): Following => ({
      decisionId: 'api-routing:3',
      decisionKey: 'k',
      appliedAt: APPLIED_AT,
      desired: { kind: 'weights', weights: planned },
      scaleOut: false,
      ...(changeIds ? { changeIds } : {}),
    });
    const change = (status: 'PENDING' | 'INSYNC') => ({
      ChangeInfo: { Id: '/change/C2EXAMPLE', Status: status, SubmittedAt: new Date(APPLIED_AT * 1000) },
    });

    test('the apply returns the ChangeInfo.Id Route 53 gave the batch', async () => {
      route53Mock.on(ListResourceRecordSetsCommand).resolves(records({ 'us-east-1': 70, 'eu-west-1': 30 }));
      route53Mock.on(ChangeResourceRecordSetsCommand).resolves(change('PENDING'));
      const result = await routing().apply(
        routingTarget(),
        { type: 'set-weights', weights: planned },
        'api-routing:3#0',
      );
      expect(result).toMatchObject({ status: 'applied', changeIds: ['/change/C2EXAMPLE'] });
    });

    test('PENDING is in progress without reading the records; INSYNC with the weights in place serves', async () => {
      route53Mock.on(ListResourceRecordSetsCommand).resolves(records(planned));
      route53Mock.on(GetChangeCommand).resolvesOnce(change('PENDING')).resolves(change('INSYNC'));
      const seen = await routing().observeServing(routingTarget(), followingChange(['/change/C2EXAMPLE']));
      expect(seen).toEqual({
        state: 'in-progress',
        detail: 'Route 53 change /change/C2EXAMPLE PENDING (not yet on every name server)',
      });
      expect(route53Mock).not.toHaveReceivedCommand(ListResourceRecordSetsCommand);
      await expect(routing().observeServing(routingTarget(), followingChange(['/change/C2EXAMPLE']))).resolves.toEqual({
        state: 'serving',
        detail: 'weights us-east-1=40 eu-west-1=60, change /change/C2EXAMPLE INSYNC',
      });
      expect(route53Mock).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C2EXAMPLE' });
      expect(route53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    });

    test('a throttled GetChange is retried like every other read', async () => {
      route53Mock.on(ListResourceRecordSetsCommand).resolves(records(planned));
      route53Mock.on(GetChangeCommand).rejectsOnce(sdkErrors.route53Throttling()).resolves(change('INSYNC'));
      await expect(
        routing().observeServing(routingTarget(), followingChange(['/change/C2EXAMPLE'])),
      ).resolves.toMatchObject({ state: 'serving' });
      expect(route53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    });

    test('NoSuchChange (an id Route 53 no longer knows) falls back on the weights read back', async () => {
      route53Mock.on(GetChangeCommand).rejects(
        new NoSuchChange({
          $metadata: { httpStatusCode: 404 },
          message: 'A change with the specified change ID does not exist.',
        }),
      );
      route53Mock
        .on(ListResourceRecordSetsCommand)
        .resolvesOnce(records(planned))
        .resolves(records({ 'us-east-1': 70, 'eu-west-1': 30 }));
      await expect(routing().observeServing(routingTarget(), followingChange(['/change/GONE']))).resolves.toMatchObject(
        { state: 'serving' },
      );
      await expect(routing().observeServing(routingTarget(), followingChange(['/change/GONE']))).resolves.toMatchObject(
        { state: 'in-progress' },
      );
      // Not retried: the answer is definite.
      expect(route53Mock).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    });

    test('a plan applied without a change id (found in place by the repair) is judged on the read-back alone', async () => {
      route53Mock.on(ListResourceRecordSetsCommand).resolves(records(planned));
      await expect(routing().observeServing(routingTarget(), followingChange())).resolves.toEqual({
        state: 'serving',
        detail: 'weights us-east-1=40 eu-west-1=60',
      });
      expect(route53Mock).not.toHaveReceivedCommand(GetChangeCommand);
    });
  });
});
