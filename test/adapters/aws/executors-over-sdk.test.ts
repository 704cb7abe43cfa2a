/**
 * The executors on the real AWS adapters, with the SDK mocked at the client boundary: what the reconcile
 * service will run in production, minus the network.
 */
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  UpdateAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DeleteProvisionedConcurrencyConfigCommand,
  GetProvisionedConcurrencyConfigCommand,
  LambdaClient,
  PutProvisionedConcurrencyConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';
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
import { asgTarget, FakeClock, instantRetry, lambdaTarget, routingTarget } from '../../unit/executors/fakes';
import { sdkErrors } from '../../unit/executors/sdk-errors';

describe('executors over the AWS SDK adapters', () => {
  const autoScalingMock = mockClient(AutoScalingClient);
  const lambdaMock = mockClient(LambdaClient);
  const route53Mock = mockClient(Route53Client);
  const clients = [
    new AutoScalingClient({ region: 'us-east-1' }),
    new LambdaClient({ region: 'us-east-1' }),
    new Route53Client({ region: 'us-east-1' }),
  ] as const;
  const aasClient = new ApplicationAutoScalingClient({ region: 'us-east-1' });
  let clock: FakeClock;
  let executors: ReturnType<typeof createExecutors>;

  beforeEach(() => {
    autoScalingMock.reset();
    lambdaMock.reset();
    route53Mock.reset();
    clock = new FakeClock(0);
    executors = createExecutors(
      {
        autoScaling: new AwsAutoScalingAdapter(clients[0]),
        applicationAutoScaling: new AwsApplicationAutoScalingAdapter(aasClient),
        provisionedConcurrency: new AwsProvisionedConcurrencyAdapter(clients[1]),
        weightedRouting: new AwsWeightedRoutingAdapter(clients[2]),
      },
      { retry: instantRetry(clock), route53Limiter: new TokenBucketLimiter({ ratePerSecond: 5, burst: 1, clock }) },
    );
  });
  afterAll(() => {
    aasClient.destroy();
    for (const c of clients) c.destroy();
  });

  it('ec2-asg: throttled twice, then one SetDesiredCapacity lands', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'web-prod',
          MinSize: 2,
          MaxSize: 40,
          DesiredCapacity: 4,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-east-1a'],
          HealthCheckType: 'EC2',
          CreatedTime: new Date('2026-11-01T08:00:00Z'),
        },
      ],
    });
    autoScalingMock
      .on(SetDesiredCapacityCommand)
      .rejectsOnce(sdkErrors.autoScalingThrottling())
      .rejectsOnce(sdkErrors.autoScalingThrottling())
      .resolves({});
    await expect(
      executors['ec2-asg'].apply(asgTarget(), { type: 'set-capacity', desired: 12, floor: 2 }, 'web-asg:42#0'),
    ).resolves.toEqual({
      status: 'applied',
      detail: 'SetDesiredCapacity web-prod 4→12 (attempt 3)',
    });
    expect(autoScalingMock).toHaveReceivedCommandTimes(SetDesiredCapacityCommand, 3);
    expect(autoScalingMock).toHaveReceivedCommandWith(SetDesiredCapacityCommand, {
      AutoScalingGroupName: 'web-prod',
      DesiredCapacity: 12,
      HonorCooldown: false,
    });
    expect(autoScalingMock).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);
  });

  it('ec2-asg: desired above MaxSize fails permanently without any write', async () => {
    autoScalingMock.on(DescribeAutoScalingGroupsCommand).resolves({
      AutoScalingGroups: [
        {
          AutoScalingGroupName: 'web-prod',
          MinSize: 2,
          MaxSize: 40,
          DesiredCapacity: 30,
          DefaultCooldown: 300,
          AvailabilityZones: ['us-east-1a'],
          HealthCheckType: 'EC2',
          CreatedTime: new Date(),
        },
      ],
    });
    await expect(
      executors['ec2-asg'].apply(asgTarget(), { type: 'set-capacity', desired: 41, floor: 2 }, 'web-asg:43#0'),
    ).rejects.toMatchObject({
      retryable: false,
      code: 'DesiredAboveMaxSize',
    });
    expect(autoScalingMock).not.toHaveReceivedCommand(SetDesiredCapacityCommand);
    expect(autoScalingMock).not.toHaveReceivedCommand(UpdateAutoScalingGroupCommand);
  });

  it('lambda: pre-warm puts a config on a qualifier that has none; the window end deletes it', async () => {
    lambdaMock
      .on(GetProvisionedConcurrencyConfigCommand)
      .rejectsOnce(sdkErrors.provisionedConcurrencyConfigNotFound())
      .resolves({
        RequestedProvisionedConcurrentExecutions: 20,
        AllocatedProvisionedConcurrentExecutions: 20,
        AvailableProvisionedConcurrentExecutions: 20,
        Status: 'READY',
      });
    lambdaMock
      .on(PutProvisionedConcurrencyConfigCommand)
      .resolves({ RequestedProvisionedConcurrentExecutions: 20, Status: 'IN_PROGRESS' });
    lambdaMock.on(DeleteProvisionedConcurrencyConfigCommand).resolves({});
    const executor = executors['lambda-provisioned-concurrency'];
    await expect(
      executor.apply(lambdaTarget(), { type: 'set-capacity', desired: 20, floor: 0 }, 'checkout-fn:7#0'),
    ).resolves.toMatchObject({ status: 'applied' });
    await expect(
      executor.apply(lambdaTarget(), { type: 'set-capacity', desired: 0, floor: 0 }, 'checkout-fn:8#0'),
    ).resolves.toEqual({
      status: 'applied',
      detail: 'DeleteProvisionedConcurrencyConfig checkout:live 20→0',
    });
    expect(lambdaMock).toHaveReceivedCommandWith(PutProvisionedConcurrencyConfigCommand, {
      FunctionName: 'checkout',
      Qualifier: 'live',
      ProvisionedConcurrentExecutions: 20,
    });
    expect(lambdaMock).toHaveReceivedCommandTimes(DeleteProvisionedConcurrencyConfigCommand, 1);
  });

  it('route53: PriorRequestNotComplete once, then the batch lands; every attempt re-reads', async () => {
    const record = (id: string, weight: number) => ({
      Name: 'api.example.com.',
      Type: 'CNAME' as const,
      SetIdentifier: id,
      Weight: weight,
      TTL: 60,
      ResourceRecords: [{ Value: `api-${id}.example.com` }],
    });
    route53Mock.on(ListResourceRecordSetsCommand).resolves({
      ResourceRecordSets: [record('us-east-1', 70), record('eu-west-1', 30)],
      IsTruncated: false,
      MaxItems: 300,
    });
    route53Mock
      .on(ChangeResourceRecordSetsCommand)
      .rejectsOnce(sdkErrors.priorRequestNotComplete())
      .resolves({ ChangeInfo: { Id: '/change/C2682N5HXP0BZ4', Status: 'PENDING', SubmittedAt: new Date() } });
    const result = await executors['route53-weighted'].apply(
      routingTarget(),
      { type: 'set-weights', weights: { 'us-east-1': 0, 'eu-west-1': 100 } },
      'api-routing:3#0',
    );
    expect(result).toEqual({
      status: 'applied',
      detail:
        'ChangeResourceRecordSets api.example.com CNAME in Z0123456789ABCDEFGHIJ UPSERT us-east-1 70→0, eu-west-1 30→100 (attempt 2)',
      // The accepted attempt's change, which the follow-through asks GetChange about until it is INSYNC.
      changeIds: ['/change/C2682N5HXP0BZ4'],
    });
    expect(route53Mock).toHaveReceivedCommandTimes(ChangeResourceRecordSetsCommand, 2);
    // per attempt: getWeights lists once, setWeights lists again to copy the records
    expect(route53Mock).toHaveReceivedCommandTimes(ListResourceRecordSetsCommand, 4);
    expect(route53Mock).toHaveReceivedCommandWith(ChangeResourceRecordSetsCommand, {
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
      ChangeBatch: {
        Comment: 'Drivetrain api-routing:3#0',
        Changes: [
          { Action: 'UPSERT', ResourceRecordSet: record('us-east-1', 0) },
          { Action: 'UPSERT', ResourceRecordSet: record('eu-west-1', 100) },
        ],
      },
    });
  });
});
